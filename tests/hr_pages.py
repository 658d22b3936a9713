"""The rows of the HR lists as the page shows them. Those pages are kept
rendered (credits.views_org.org_credits, cms.accounts.views.teacher_list), so
a repeat request has no template context to read: tests read the HTML."""

from __future__ import annotations

import html
import re
from decimal import Decimal

_COMPLIANCE_ROW = re.compile(
    r'<tr><td><a href="/org/teachers/(\d+)/">([^<]*)</a></td><td>([^<]*)</td>'
    r"<td>([^<]*)</td><td>([^<]*)</td>\s*<td><span class=\"badge badge-(err|ok)\">"
)
_TEACHER_ROW = re.compile(
    r'<td><a href="/org/teachers/(\d+)/">([^<]*)</a></td>\s*<td>([^<]*)</td>\s*'
    r"<td>([^<]*)</td>"
)


def compliance_rows(page: str) -> list[dict]:
    return [
        {
            "pk": int(pk),
            "real_name": html.unescape(name),
            "school": html.unescape(school),
            "cycle_hours": Decimal(cycle.replace(",", "")),
            "year_hours": Decimal(year.replace(",", "")),
            "behind": badge == "err",
        }
        for pk, name, school, cycle, year, badge in _COMPLIANCE_ROW.findall(page)
    ]


def teacher_rows(page: str) -> list[dict]:
    return [
        {
            "pk": int(pk),
            "real_name": html.unescape(name),
            "staff_number": html.unescape(staff),
            "school": html.unescape(school),
        }
        for pk, name, staff, school in _TEACHER_ROW.findall(page)
    ]


def total(page: str) -> int:
    return int(re.search(r"共 (\d+) 位教师", page).group(1))


def tables_read(queries) -> set[str]:
    """The tables the statements captured by a CaptureQueriesContext read."""
    return {
        name
        for q in queries.captured_queries
        for name in re.findall(r'FROM "(\w+)"', q["sql"])
    }
