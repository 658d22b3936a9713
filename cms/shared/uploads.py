"""Uploaded documents and media: allowed types, size limits, and a check that
the content is what the name claims (a .pdf must start like a PDF)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_FILE = 20 * 1024 * 1024
MAX_VIDEO = 200 * 1024 * 1024


def _is_zip(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


SIGNATURES = {
    ".pdf": lambda h: h.startswith(b"%PDF-"),
    ".docx": _is_zip,
    ".pptx": _is_zip,
    ".jpg": lambda h: h.startswith(b"\xff\xd8\xff"),
    ".jpeg": lambda h: h.startswith(b"\xff\xd8\xff"),
    ".png": lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"),
    ".mp4": lambda h: h[4:8] == b"ftyp",
}


def artefact_validate(upload) -> None:
    name = upload.name.lower()
    suffix = name[name.rfind(".") :] if "." in name else ""
    if suffix not in SIGNATURES:
        raise ValidationError(
            _("只接受 PDF、Word（docx）、PPT（pptx）、JPG、PNG 或 MP4 视频文件。")
        )
    limit = MAX_VIDEO if suffix == ".mp4" else MAX_FILE
    if upload.size > limit:
        raise ValidationError(
            _(
                "文件过大（视频上限 200 MB，其他文件上限 20 MB）。较大的课堂实录请填写视频链接。"
            )
        )
    head = upload.read(16)
    upload.seek(0)
    if not SIGNATURES[suffix](head):
        raise ValidationError(
            _("文件内容与扩展名不符：这不是一个真正的 %(kind)s 文件。")
            % {"kind": suffix[1:].upper()}
        )
