"""Time to reject an oversized XLSX (issue 13.4): 100,000 and 1,000,000 rows,
each with an honest declared dimension and with one that lies (claims A1:C2).

Run standalone: `.venv/bin/python bench/xlsx_reject.py` prints one line per
file and, with --json, a JSON object {name: seconds}. The files are written
straight as sheet XML into a zip (openpyxl would take minutes for 1M rows);
the tests import `xlsx_bytes` from here."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
HEADER = ("姓名", "工号", "学校")


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def xlsx_bytes(
    rows: int, *, declared_rows: int | None = None, distinct: bool = False
) -> bytes:
    """An XLSX of a header and `rows` roster rows (姓名, 工号, 学校). The
    sheet declares `declared_rows` (default: the truth) in its dimension;
    `distinct` numbers every row (larger, slower to make)."""
    declared = (rows + 1) if declared_rows is None else declared_rows
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                (
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    '<worksheet xmlns="http://schemas.openxmlformats.org/'
                    'spreadsheetml/2006/main">'
                    f'<dimension ref="A1:C{declared}"/><sheetData>'
                    '<row r="1">'
                    + "".join(
                        _cell(f"{col}1", text)
                        for col, text in zip("ABC", HEADER, strict=True)
                    )
                    + "</row>"
                ).encode()
            )
            if distinct:
                batch = []
                for i in range(2, rows + 2):
                    batch.append(
                        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>教师</t>'
                        f'</is></c><c r="B{i}"><v>{i}</v></c><c r="C{i}" '
                        f't="inlineStr"><is><t>东湖实验小学</t></is></c></row>'
                    )
                    if len(batch) == 10000:
                        sheet.write("".join(batch).encode())
                        batch = []
                sheet.write("".join(batch).encode())
            else:
                # Identical rows without references, as the audit's files had:
                # they pack about a hundred to one.
                row = (
                    (
                        "<row>"
                        + _cell("", "教师")
                        + "<c><v>1</v></c>"
                        + _cell("", "东湖实验小学")
                        + "</row>"
                    )
                    .replace(' r=""', "")
                    .encode()
                )
                block = row * 10000
                for _ in range(rows // 10000):
                    sheet.write(block)
                sheet.write(row * (rows % 10000))
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


CASES = {
    "xlsx_100k_rows": {"rows": 100_000},
    "xlsx_1m_rows": {"rows": 1_000_000},
    "xlsx_100k_rows_lying_dimension": {"rows": 100_000, "declared_rows": 2},
    "xlsx_1m_rows_lying_dimension": {"rows": 1_000_000, "declared_rows": 2},
    "xlsx_100k_distinct_rows_lying_dimension": {
        "rows": 100_000,
        "declared_rows": 2,
        "distinct": True,
    },
}


def run() -> dict[str, dict]:
    """Seconds to reject each case (best of three), and the file size."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    import django

    django.setup()
    from cms.accounts.importing import roster_parse
    from cms.shared.tables import TableError

    results = {}
    for name, params in CASES.items():
        data = xlsx_bytes(**params)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            try:
                roster_parse(name=f"{name}.xlsx", data=data)
            except TableError as exc:
                message = str(exc)
            else:
                message = "ACCEPTED (should have been rejected)"
            times.append(time.perf_counter() - start)
        results[name] = {
            "seconds": round(min(times), 4),
            "bytes": len(data),
            "message": message,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    results = run()
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
        return
    for name, result in results.items():
        print(
            f"{name:34} {result['bytes'] / 1024:9.0f} KB  "
            f"rejected in {result['seconds'] * 1000:7.1f} ms  {result['message']}"
        )


if __name__ == "__main__":
    main()
