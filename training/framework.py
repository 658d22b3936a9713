"""The competency framework every layer points at, and school terms.

Imports only the standard library: courses, studios, badges and portraits
align to the framework identified here, and count time in the terms below.
(Phase 2 of issue 15 may move this module to a package of its own; its
import path is the only thing callers know.)"""

from __future__ import annotations

import datetime

# 《教师数字素养》 JY/T 0646—2022: the framework the platform is built around
# (5 dimensions, 13 sub-dimensions, 33 indicators; loaded by a migration).
FRAMEWORK_CODE = "jyt0646-2022"


# School terms: autumn runs August to January, spring February to July. A
# term is labelled by the year it starts in: "2026秋", "2027春".


def term_of(day: datetime.date) -> str:
    """'2026秋' for 2026-09-01 and 2027-01-10; '2027春' for 2027-03-01."""
    if day.month >= 8:
        return f"{day.year}秋"
    if day.month == 1:
        return f"{day.year - 1}秋"
    return f"{day.year}春"


def term_start(day: datetime.date) -> datetime.date:
    if day.month >= 8:
        return datetime.date(day.year, 8, 1)
    if day.month == 1:
        return datetime.date(day.year - 1, 8, 1)
    return datetime.date(day.year, 2, 1)


def next_term_start(day: datetime.date) -> datetime.date:
    start = term_start(day)
    if start.month == 8:
        return datetime.date(start.year + 1, 2, 1)
    return datetime.date(start.year, 8, 1)


def term_label(term: str) -> str:
    """'2026秋' as the reader's language has it: 2026秋 / Autumn 2026."""
    from django.utils.translation import gettext

    term = str(term or "")
    year, season = term[:-1].rstrip("-"), term[-1:]
    if season == "秋" and year.isdigit():
        return gettext("%(year)s秋") % {"year": year}
    if season == "春" and year.isdigit():
        return gettext("%(year)s春") % {"year": year}
    return term
