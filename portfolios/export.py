"""Download all her data (PIPL): each app writes what it holds about her
through its hook (`<app>/privacy.py`, see `cms.shared.personal_data`), rows as
data/<app.model>.json and the files she uploaded under files/.

Left out on purpose: her password hash, two-factor secrets and third-party
login tokens (they are credentials, not data about her)."""

from __future__ import annotations

import io
import json
import zipfile

from cms.shared.personal_data import person_export

README = (
    "本压缩包含平台保存的您的全部个人数据（data/ 下每个文件对应一类记录），"
    "以及您上传的文件（files/）。\n"
    "出于安全考虑，登录密码、两步验证密钥和第三方登录令牌不包含在内。\n"
)


def portrait_export_zip(teacher) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = person_export(teacher, archive)
        archive.writestr("README.txt", README)
        archive.writestr(
            "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2)
        )
    return buffer.getvalue()
