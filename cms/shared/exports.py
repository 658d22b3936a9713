"""Tabular downloads (CSV with a BOM so Excel reads the Chinese, or XLSX) for
every export in the site. Bottom layer, like cms/shared/pdf.py: imports no app."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.http import HttpResponse

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    """Text that a spreadsheet would run as a formula (a name typed as
    "=HYPERLINK(...)" in an import) is written as plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def table_response(
    *,
    header: list,
    rows: Iterable[list],
    fmt: str,
    filename: str,
    sheet: str = "Sheet1",
) -> HttpResponse:
    """A download of `rows` under `header` as `filename.csv` or `filename.xlsx`."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows([_cell(v) for v in row] for row in rows)
        response = HttpResponse(
            "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
        )
    elif fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        worksheet = book.create_sheet(sheet)
        worksheet.append(header)
        for row in rows:
            worksheet.append([_cell(v) for v in row])
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
