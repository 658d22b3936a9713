"""Reading an uploaded spreadsheet (CSV in UTF-8 or GB18030, or XLSX) into
rows keyed by field, for every import on the platform (teacher rosters,
offline scores). Nothing here writes; callers validate the rows."""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.utils.translation import gettext as _


class TableError(Exception):
    """The file as a whole cannot be read (wrong type, no header, too big)."""


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(_("无法识别文件编码，请另存为 UTF-8 或 GB18030 编码的 CSV。"))


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise TableError(_("无法读取该 XLSX 文件，请确认文件未损坏。")) from exc
    sheet = book.worksheets[0]
    table = []
    for values in sheet.iter_rows(values_only=True):
        table.append(["" if v is None else _cell_text(v) for v in values])
    book.close()
    return table


def table_read(
    *, name: str, data: bytes, headers: dict[str, str], required: dict[str, str]
) -> list[tuple[int, dict[str, str]]]:
    """Rows as (spreadsheet row number, {field: text}); the header is row 1.

    `headers` maps header text (any case) to a field; `required` maps the
    fields that must have a column to the label named when one is missing."""
    if len(data) > settings.TEACHER_IMPORT_MAX_BYTES:
        raise TableError(_("文件过大（上限 10 MB）。"))
    lower = name.lower()
    if lower.endswith(".xlsx"):
        table = _read_xlsx(data)
    elif lower.endswith(".csv"):
        table = list(csv.reader(io.StringIO(_decode_csv(data))))
    else:
        raise TableError(_("只支持 CSV 或 XLSX 文件。"))
    if not table or not any(cell.strip() for cell in table[0]):
        raise TableError(_("文件是空的，或第 1 行没有表头。"))
    header = [
        headers.get(cell.strip().lower(), headers.get(cell.strip()))
        for cell in table[0]
    ]
    missing = [label for key, label in required.items() if key not in header]
    if missing:
        raise TableError(_("表头缺少必填列：%(cols)s。") % {"cols": "、".join(missing)})
    rows = []
    for index, cells in enumerate(table[1:], start=2):
        if not any((c or "").strip() for c in cells):
            continue
        row = {}
        for key, cell in zip(header, cells, strict=False):
            if key:
                row[key] = (cell or "").strip()
        rows.append((index, row))
    if len(rows) > settings.TEACHER_IMPORT_MAX_ROWS:
        raise TableError(
            _("一次最多导入 %(n)d 行，请拆分文件。")
            % {"n": settings.TEACHER_IMPORT_MAX_ROWS}
        )
    if not rows:
        raise TableError(_("文件中没有数据行。"))
    return rows
