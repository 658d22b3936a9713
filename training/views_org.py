"""Self-assessment aggregates for HR and school leaders: their organisation only."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe

from cms.accounts import scopecache, scoping
from cms.accounts import selectors as account_selectors
from cms.shared import pagecache
from cms.shared.exports import table_response
from cms.shared.html import options_html
from training.framework import FRAMEWORK_CODE

from . import selectors
from .models import RESULTS_VERSION, Framework


def _school_filter(request) -> str:
    """The school filter as the figures use it: "" when it is not a number
    (ignored), digits without leading zeros, "0" (matches nothing) when too
    long for an id."""
    raw = request.GET.get("school", "")
    if not (raw.isascii() and raw.isdigit()):
        return ""
    return str(int(raw)) if len(raw) <= 18 else "0"


def _page_number(request) -> int:
    """The page of schools as Paginator.get_page reads it: 1 when not a
    number; a number past the last page, or below 1, shows the last page
    (any number from 10,000 on is the same, so the keys stay few)."""
    try:
        number = int(request.GET.get("page", ""))
    except ValueError:
        return 1
    return number if 1 <= number < LAST_PAGE else LAST_PAGE


LAST_PAGE = 10_000


def _dependencies() -> list[str]:
    """Every input of the distribution: the teachers and organisations (a
    teacher moved), the results, the framework's names (CONTENT) and the
    instrument's levels."""
    return [
        *scopecache.teacher_dependencies(),
        RESULTS_VERSION,
        pagecache.CONTENT,
        selectors.INSTRUMENT_VERSION,
    ]


def _distribution(request, school_id: str) -> dict:
    """The distribution in her scope (one school's when `school_id`), kept per
    user, scope and filter until an input changes; at most ten minutes."""
    if not scoping.can_administer_teachers(request.user):
        raise PermissionDenied
    teachers = scoping.teachers_visible_to(request.user)
    if school_id:
        teachers = teachers.filter(school_id=int(school_id))

    def compute():
        framework = Framework.objects.get(code=FRAMEWORK_CODE)
        distribution = selectors.level_distribution(
            teachers=teachers, framework=framework
        )
        distribution["as_of"] = timezone.now()
        return distribution

    return pagecache.cached(
        f"assessment-distribution:{scopecache.scope_key(request.user)}:{school_id}",
        _dependencies(),
        compute,
        timeout=600,
    )


def _levels():
    instrument = selectors.current_instrument()
    return instrument.levels if instrument else []


def _body(request, school_id: str, number: int) -> str:
    from cms.shared.charts import level_chart

    distribution = _distribution(request, school_id)
    page = Paginator(distribution["schools"], 20).get_page(number)
    levels = _levels()
    return render_to_string(
        "training/org_assessment_body.html",
        {
            "distribution": distribution,
            "levels": levels,
            "page": page,
            "querystring": urlencode({"school": school_id}) if school_id else "",
            "school_id": school_id,
            "school_options": options_html(
                account_selectors.school_choices(request.user), school_id
            ),
            "level_chart": level_chart(
                distribution,
                level_names=[lv["name"] for lv in levels],
                element_id="chart-levels",
            ),
        },
    )


@login_required
def org_assessment(request):
    """The filter, the distribution's tables and chart and the page of
    schools are kept rendered, per user, scope, filter, page, language and
    day, until an input changes (`_dependencies`): a repeat visit
    authorises, reads that entry and renders the site around it."""
    if not scoping.can_administer_teachers(request.user):
        raise PermissionDenied
    school_id, number = _school_filter(request), _page_number(request)
    body = pagecache.fragment(
        ("org-assessment", scopecache.scope_key(request.user), school_id, number),
        _dependencies(),
        lambda: _body(request, school_id, number),
        timeout=600,
    )
    return render(
        request,
        "training/org_assessment.html",
        {
            "body": mark_safe(body),  # noqa: S308 (our own template's output)
            # The figures as data too, read only if something reads them (the
            # page itself never does): from their own cache entry.
            "distribution": SimpleLazyObject(lambda: _distribution(request, school_id)),
        },
    )


@login_required
def org_assessment_export(request, fmt: str):
    dist = _distribution(request, _school_filter(request))
    header = ["范围", "测评人数", "维度"] + [level["name"] for level in _levels()]
    rows = []
    if not dist["hidden"]:
        for row in dist["table"]:
            rows.append(["合计", dist["total"], row["name"], *row["levels"]])
    for school in dist["schools"]:
        if school["hidden"]:
            rows.append([school["name"], school["count"], "人数少于 5 人，不予显示"])
            continue
        for row in school["table"]:
            rows.append([school["name"], school["count"], row["name"], *row["levels"]])
    return table_response(
        header=header,
        rows=rows,
        fmt=fmt,
        filename="assessment-levels",
        sheet="水平分布",
    )
