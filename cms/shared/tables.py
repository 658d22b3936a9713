"""Reading an uploaded spreadsheet (CSV in UTF-8 or GB18030, or XLSX) into
rows keyed by field, for every import on the platform (teacher rosters,
offline scores). Nothing here writes; callers validate the rows.

Every limit is enforced before or while reading, never after: an XLSX is a
zip of XML, so its members' sizes and compression ratios are checked from the
zip directory, then each member is streamed through the decompressor (never
more bytes than the limit, whatever the directory claims) counting rows and
cells, and the declared sheet dimension is read from its first bytes. Only a
file that passes is handed to openpyxl (read-only, cut off at the row limit).
So a file that would burn a worker is refused in well under a second."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _


class TableError(Exception):
    """The file as a whole cannot be read (wrong type, no header, too big)."""


@dataclass(frozen=True)
class TableLimits:
    max_bytes: int
    max_rows: int
    max_columns: int
    xlsx_max_elements: int
    xlsx_max_uncompressed: int
    xlsx_max_ratio: int
    xlsx_max_members: int

    @classmethod
    def from_settings(cls) -> TableLimits:
        return cls(
            max_bytes=settings.TEACHER_IMPORT_MAX_BYTES,
            max_rows=settings.TEACHER_IMPORT_MAX_ROWS,
            max_columns=settings.TABLE_MAX_COLUMNS,
            xlsx_max_elements=settings.TABLE_XLSX_MAX_ELEMENTS,
            xlsx_max_uncompressed=settings.TABLE_XLSX_MAX_UNCOMPRESSED,
            xlsx_max_ratio=settings.TABLE_XLSX_MAX_RATIO,
            xlsx_max_members=settings.TABLE_XLSX_MAX_MEMBERS,
        )


def _too_many_rows(limits: TableLimits) -> TableError:
    return TableError(_("一次最多导入 %(n)d 行，请拆分文件。") % {"n": limits.max_rows})


def _unreadable_xlsx() -> TableError:
    return TableError(_("无法读取该 XLSX 文件，请确认文件未损坏。"))


def _too_large_unpacked(limits: TableLimits) -> TableError:
    return TableError(
        _(
            "XLSX 文件解压后过大（上限 %(mb)d MB），请删除多余的工作表、图片或格式后重试。"
        )
        % {"mb": limits.xlsx_max_uncompressed // (1024 * 1024)}
    )


# --- XLSX: checks before parsing --------------------------------------------

_CHUNK = 256 * 1024
_TAIL = 64  # longer than any tag the scanner looks for
_OTHER_SHEETS_ROWS = 1000  # notes on further sheets (the template's value list)
_SHEET_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>]")
_DIMENSION = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?dimension\s+ref=[\"']([A-Z]{1,3})?(\d+)?"
    rb"(?::([A-Z]{1,3})(\d+))?[\"']"
)
_SHEET_DATA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetData[\s/>]")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - ord("A") + 1)
    return number


def _check_dimension(head: bytes, limits: TableLimits) -> None:
    """The size a sheet declares, read from its first bytes (a sheet may lie;
    the row count below catches that)."""
    data_at = _SHEET_DATA.search(head)
    match = _DIMENSION.search(head, 0, data_at.start() if data_at else len(head))
    if not match:
        return
    last_col, last_row = (
        match.group(3) or match.group(1),
        match.group(4) or match.group(2),
    )
    if last_row and int(last_row) > limits.max_rows + 1:
        raise _too_many_rows(limits)
    if last_col and _column_number(last_col) > limits.max_columns:
        raise TableError(
            _("工作表最多 %(n)d 列，请删除多余的列。") % {"n": limits.max_columns}
        )


def _row_tags(prefix: bytes) -> tuple[bytes, ...]:
    name = b"<" + (prefix + b":" if prefix else b"") + b"row"
    return tuple(name + end for end in (b" ", b">", b"/", b"\t", b"\n", b"\r"))


def _scan_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    *,
    budget: int,
    limits: TableLimits,
    totals: dict[str, int],
) -> int:
    """Stream one member, counting XML elements (the work a parser would do)
    and, in a sheet, rows; returns the bytes it unpacked. Raises as soon as a
    limit is passed. Counting is done with bytes.count (memchr speed), so a
    member at the size limit is scanned in a fraction of a second."""
    is_sheet = "worksheets/" in info.filename
    unpacked = 0
    carry = b""
    row_tags: tuple[bytes, ...] | None = None
    with archive.open(info) as member:
        while True:
            chunk = member.read(_CHUNK)
            unpacked += len(chunk)
            if unpacked > budget:
                raise _too_large_unpacked(limits)
            buffer = carry + chunk
            if is_sheet and row_tags is None:
                head = buffer[: 64 * 1024]
                _check_dimension(head, limits)
                root = _SHEET_ROOT.search(head)
                prefix = (root.group(1) or b"") if root else b""
                row_tags = _row_tags(prefix)
            # Count up to the last "<" and carry the rest, so that a tag cut
            # by the chunk boundary is counted once, in the next round.
            cut = buffer.rfind(b"<") if chunk else len(buffer)
            if cut < len(buffer) - _TAIL:
                cut = len(buffer)
            part = buffer[:cut]
            carry = buffer[cut:]
            totals["elements"] += part.count(b"<") - part.count(b"</")
            if row_tags:
                totals["rows"] += sum(part.count(tag) for tag in row_tags)
            # All sheets together; the first (the one imported) is cut off
            # exactly while it is read.
            if totals["rows"] > limits.max_rows + 1 + _OTHER_SHEETS_ROWS:
                raise _too_many_rows(limits)
            if totals["elements"] > limits.xlsx_max_elements:
                raise TableError(
                    _(
                        "表格中的单元格过多（上限约 %(n)d 个），"
                        "请删除多余的行、列或工作表。"
                    )
                    % {"n": limits.xlsx_max_elements // 4}
                )
            if not chunk:
                break
    return unpacked


def _check_xlsx(data: bytes, limits: TableLimits) -> int:
    """Refuse an XLSX that would take long to parse, before openpyxl sees it;
    returns the rows of all its sheets."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise _unreadable_xlsx() from exc
    if len(infos) > limits.xlsx_max_members:
        raise _unreadable_xlsx()
    declared = 0
    for info in infos:
        declared += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if declared > limits.xlsx_max_uncompressed:
            raise _too_large_unpacked(limits)
        if info.file_size > 1024 * 1024 and ratio > limits.xlsx_max_ratio:
            raise TableError(
                _("XLSX 文件压缩比异常（解压后是压缩前的 %(r)d 倍以上），拒绝读取。")
                % {"r": limits.xlsx_max_ratio}
            )
    # The directory may lie about sizes: count what actually comes out.
    totals = {"rows": 0, "elements": 0}
    budget = limits.xlsx_max_uncompressed
    try:
        for info in infos:
            if info.is_dir():
                continue
            budget -= _scan_member(
                archive, info, budget=budget, limits=limits, totals=totals
            )
    except TableError:
        raise
    except Exception as exc:  # bad CRC, truncated or unsupported member
        raise _unreadable_xlsx() from exc
    # A sheet that hides its rows from the count above (unusual namespace
    # prefixes) is still bounded by its elements: estimate rows from them.
    return max(totals["rows"], totals["elements"] // (2 * limits.max_columns))


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes, limits: TableLimits) -> list[list[str]]:
    _check_xlsx(data, limits)
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        # Read what is there, not what the sheet declares: a wrong dimension
        # would otherwise drop rows without a word.
        sheet.reset_dimensions()
        table = []
        for values in sheet.iter_rows(values_only=True, max_col=limits.max_columns):
            if len(table) > limits.max_rows + 1:
                raise _too_many_rows(limits)
            table.append(["" if v is None else _cell_text(v) for v in values])
        book.close()
    except TableError:
        raise
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise _unreadable_xlsx() from exc
    return table


# --- CSV ---------------------------------------------------------------------


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(_("无法识别文件编码，请另存为 UTF-8 或 GB18030 编码的 CSV。"))


def _read_csv(data: bytes, limits: TableLimits) -> list[list[str]]:
    table: list[list[str]] = []
    data_rows = 0
    # Blank lines are skipped later, but they still cost: cut off at twice
    # the row limit however the file is laid out.
    physical_limit = 2 * (limits.max_rows + 1)
    if max(data.count(b"\n"), data.count(b"\r")) > physical_limit:
        raise _too_many_rows(limits)  # counted before decoding anything
    reader = csv.reader(io.StringIO(_decode_csv(data)))
    try:
        for cells in reader:
            if reader.line_num > physical_limit:
                raise _too_many_rows(limits)
            if any(c.strip() for c in cells):
                data_rows += 1
                if data_rows > limits.max_rows + 1:
                    raise _too_many_rows(limits)
            table.append(cells[: limits.max_columns])
    except csv.Error as exc:
        raise TableError(
            _("CSV 第 %(n)d 行无法读取（单元格过长或引号不成对）。")
            % {"n": reader.line_num}
        ) from exc
    return table


# --- entry point -------------------------------------------------------------


def table_check(*, name: str, data: bytes) -> int:
    """Apply every limit that needs no parsing; returns about how many rows
    the file has (the caller parses a large one in the background)."""
    limits = TableLimits.from_settings()
    _check_size_and_type(name, data, limits)
    if name.lower().endswith(".xlsx"):
        return _check_xlsx(data, limits)
    lines = max(data.count(b"\n"), data.count(b"\r"))
    if lines > 2 * (limits.max_rows + 1):
        raise _too_many_rows(limits)
    return lines


def _check_size_and_type(name: str, data: bytes, limits: TableLimits) -> None:
    if len(data) > limits.max_bytes:
        raise TableError(
            _("文件过大（上限 %(mb)d MB）。")
            % {"mb": limits.max_bytes // (1024 * 1024)}
        )
    if not name.lower().endswith((".xlsx", ".csv")):
        raise TableError(_("只支持 CSV 或 XLSX 文件。"))


def table_read(
    *, name: str, data: bytes, headers: dict[str, str], required: dict[str, str]
) -> list[tuple[int, dict[str, str]]]:
    """Rows as (spreadsheet row number, {field: text}); the header is row 1.

    `headers` maps header text (any case) to a field; `required` maps the
    fields that must have a column to the label named when one is missing."""
    limits = TableLimits.from_settings()
    _check_size_and_type(name, data, limits)
    if name.lower().endswith(".xlsx"):
        table = _read_xlsx(data, limits)
    else:
        table = _read_csv(data, limits)
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
    if len(rows) > limits.max_rows:
        raise _too_many_rows(limits)
    if not rows:
        raise TableError(_("文件中没有数据行。"))
    return rows
