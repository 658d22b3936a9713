"""Uploaded evidence: a size limit and a check that the content is what its
name claims (a file called .pdf must start like a PDF)."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_BYTES = 10 * 1024 * 1024
SIGNATURES = {
    ".pdf": [b"%PDF-"],
    ".jpg": [b"\xff\xd8\xff"],
    ".jpeg": [b"\xff\xd8\xff"],
    ".png": [b"\x89PNG\r\n\x1a\n"],
}


def evidence_validate(upload) -> None:
    name = upload.name.lower()
    suffix = name[name.rfind(".") :] if "." in name else ""
    if suffix not in {*SIGNATURES, ".json"}:
        raise ValidationError(_("只接受 PDF、JPG、PNG 图片或 JSON 证书文件。"))
    if upload.size > MAX_BYTES:
        raise ValidationError(_("文件过大（上限 10 MB）。"))
    head = upload.read(16)
    upload.seek(0)
    if suffix == ".json":
        try:
            json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValidationError(
                _("该 JSON 文件无法解析，请上传证书原文件。")
            ) from exc
        finally:
            upload.seek(0)
    elif not any(head.startswith(sig) for sig in SIGNATURES[suffix]):
        raise ValidationError(
            _("文件内容与扩展名不符：这不是一个真正的 %(kind)s 文件。")
            % {"kind": suffix[1:].upper()}
        )
