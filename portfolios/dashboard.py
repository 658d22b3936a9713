"""The 驾驶舱 for school and district leaders: aggregates over the stored
portraits of the teachers they may see. Groups under five teachers are never
shown; every figure is a set-based query, whatever the number of teachers."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Avg, Count, Max, Q
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from cms.accounts import scopecache, scoping
from cms.accounts import selectors as account_selectors
from cms.accounts.models import CareerStage, Organisation, Subject
from cms.shared import pagecache
from cms.shared.exports import table_response
from cms.shared.html import options_html
from training import selectors as training_selectors
from training.framework import FRAMEWORK_CODE
from training.selectors import latest_results_in

from .models import Portrait

MIN_GROUP = 5


def _json_means(portraits, field: str) -> dict[str, Decimal]:
    """Mean of each key of a JSON {code: score} column over the portraits."""
    if connection.vendor == "postgresql":
        ids_sql, params = portraits.values("teacher_id").query.sql_with_params()
        sql = (
            f"SELECT e.key, avg(e.value::numeric), count(*) FROM portfolios_portrait p, "  # noqa: S608
            f"jsonb_each_text(p.{field}) e WHERE p.teacher_id IN ({ids_sql}) GROUP BY e.key"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {
                k: Decimal(v).quantize(Decimal("0.01"))
                for k, v, _n in cursor.fetchall()
            }
    sums: dict[str, list] = {}
    for values in portraits.values_list(field, flat=True):
        for code, score in (values or {}).items():
            sums.setdefault(code, []).append(Decimal(score))
    return {k: (sum(v) / len(v)).quantize(Decimal("0.01")) for k, v in sums.items()}


def studio_members_in(teachers) -> int:
    """Teachers who are current members of a studio."""
    from cms.studios.selectors import members_in

    return members_in(teachers)


def studio_participants_in(teachers) -> int:
    """Teachers who took part in a studio activity: checked in on the site, or
    holding a studio-activity record in the credit ledger (activities before
    the platform, or recognised by HR)."""
    from cms.studios.selectors import checked_in_teacher_ids
    from credits.selectors import ledger_records

    return (
        teachers.order_by()
        .filter(
            Q(pk__in=checked_in_teacher_ids())
            | Q(
                pk__in=ledger_records()
                .filter(kind="studio_activity", hours__gt=0)
                .values("teacher_id")
            )
        )
        .count()
    )


def dashboard_data(teachers) -> dict:
    portraits = Portrait.objects.filter(teacher__in=teachers)
    total = teachers.count()
    if total < MIN_GROUP:
        return {"total": total, "suppressed": True}
    figures = portraits.aggregate(
        behind=Count("teacher", filter=Q(credits_behind=True)),
        credentialed=Count("teacher", filter=Q(credentials__gt=0)),
        with_goals=Count("teacher", filter=Q(goals_open__gt=0)),
        reviewed=Count("teacher", filter=Q(evidence_reviews__gt=0)),
        mean_hours=Avg("cycle_hours"),
        computed=Count("teacher"),
        updated=Max("computed_at"),
    )
    # Read live, with the same definitions as the assessment overview and the
    # studio pages (portrait rows are recomputed nightly and may lag).
    latest = latest_results_in(teachers=teachers).order_by()
    assessed_by_school = dict(
        latest.values("teacher__school_id")
        .annotate(n=Count("id"))
        .values_list("teacher__school_id", "n")
    )
    figures["assessed"] = sum(assessed_by_school.values())
    names = dict(
        training_selectors.competencies(framework_code=FRAMEWORK_CODE).values_list(
            "code", "name"
        )
    )
    dimension_means = _json_means(portraits, "self_dimensions")
    indicator_means = _json_means(portraits, "self_indicators")
    weakest = sorted(indicator_means.items(), key=lambda kv: (kv[1], kv[0]))[:5]
    trend = list(
        training_selectors.results_of(teachers=teachers)
        .values("term")
        .annotate(n=Count("id"), mean=Avg("overall_score"))
        .order_by("term")
    )
    by_school = {
        row["teacher__school_id"]: row
        for row in portraits.values("teacher__school_id").annotate(
            behind=Count("teacher", filter=Q(credits_behind=True)),
            hours=Avg("cycle_hours"),
        )
    }
    schools = [
        {
            "school_id": row["school_id"],
            "teacher__school__name": row["school__name"],
            "n": row["n"],
            "assessed": assessed_by_school.get(row["school_id"], 0),
            "behind": by_school.get(row["school_id"], {}).get("behind", 0),
            "hours": by_school.get(row["school_id"], {}).get("hours"),
        }
        for row in teachers.order_by()
        .values("school_id", "school__name")
        .annotate(n=Count("id"))
        .order_by("school__name")
    ]
    studio_members = studio_members_in(teachers)
    studio_attendees = studio_participants_in(teachers)
    hidden = sum(1 for s in schools if s["n"] < MIN_GROUP)
    schools = [s for s in schools if s["n"] >= MIN_GROUP]

    def pct(n):
        return round(n * 100 / total) if total else 0

    from training.selectors import level_distribution

    framework = training_selectors.framework_by_code(FRAMEWORK_CODE)
    distribution = (
        level_distribution(teachers=teachers, framework=framework)
        if framework
        else None
    )
    return {
        "suppressed": False,
        "as_of": timezone.now(),
        "distribution": distribution,
        "studio_attendees": studio_attendees,
        "total": total,
        "figures": figures,
        "percent": {
            "assessed": pct(figures["assessed"]),
            "on_track": pct(figures["computed"] - figures["behind"]),
            "credentialed": pct(figures["credentialed"]),
            "with_goals": pct(figures["with_goals"]),
            "studio_members": pct(studio_members),
            "studio_attendees": pct(studio_attendees),
        },
        "dimensions": [
            {"code": c, "name": names.get(c, c), "mean": m}
            for c, m in sorted(dimension_means.items())
        ],
        "weakest": [
            {"code": c, "name": names.get(c, c), "mean": m} for c, m in weakest
        ],
        "trend": trend,
        "schools": schools,
        "hidden_schools": hidden,
    }


def _list_holds(field: str, value: str) -> Q:
    """Rows whose JSON list ``field`` holds ``value``, on either database.

    PostgreSQL answers with jsonb containment. SQLite keeps the list as JSON
    text in which json.dumps escaped every Chinese character (``"\\u8bed..."``),
    so the element is matched as that quoted, escaped text (or unescaped, for
    rows written by other tools)."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__contains": [value]})
    escaped = json.dumps(value)
    plain = json.dumps(value, ensure_ascii=False)
    return Q(**{f"{field}__icontains": escaped}) | Q(**{f"{field}__icontains": plain})


@dataclass(frozen=True)
class OverviewFilters:
    """The 驾驶舱's filters (a school, a subject, a career stage), read once
    from the query string by the page (`from_request`)."""

    school: str = ""
    subject: str = ""
    stage: str = ""

    FIELDS = ("school", "subject", "stage")

    @classmethod
    def from_request(cls, request) -> OverviewFilters:
        """Normalised: a value the figures would ignore is dropped, a school
        id is written as digits without leading zeros. Whatever the query
        string holds, the same figures have the same filters (and so the
        same cache key and export links)."""
        school = request.GET.get("school", "")
        subject = request.GET.get("subject", "")
        stage = request.GET.get("stage", "")
        return cls(
            school=canonical_id(school),
            subject=subject if subject in Subject.values else "",
            stage=stage if stage in CareerStage.values else "",
        )

    @property
    def cache_part(self) -> str:
        return "&".join(f"{k}={getattr(self, k)}" for k in self.FIELDS)

    @property
    def query(self) -> str:
        """The filters set, as a query string (the export links')."""
        return urlencode(
            [(k, getattr(self, k)) for k in self.FIELDS if getattr(self, k)]
        )


def canonical_id(raw: str) -> str:
    """An id from the query string as the figures use it: "" when it is not
    a number (ignored), "0" (matches nothing) when too long for an id."""
    if not (raw.isascii() and raw.isdigit()):
        return ""
    return str(int(raw)) if len(raw) <= 18 else "0"


def teachers_filtered(*, user, filters: OverviewFilters):
    """The teachers she may see, narrowed by the filters, and the schools she
    may choose from."""
    teachers = scoping.teachers_visible_to(user)
    schools = (
        scoping.organisations_visible_to(user).filter(kind="school").order_by("path")
    )
    school = filters.school
    if school and school.isdigit():
        teachers = teachers.filter(school_id=int(school), school__in=schools)
    subject = filters.subject
    if subject in Subject.values:
        teachers = teachers.filter(_list_holds("subjects", subject))
    stage = filters.stage
    if stage in CareerStage.values:
        teachers = teachers.filter(career_stage=stage)
    return teachers, schools


def overview_dependencies(request) -> list[str]:
    """Every input of the 驾驶舱's figures as she sees them, as versions: the
    teachers and organisations (a teacher moved, a school renamed), the
    framework's names and the instrument's levels, the results, the portraits,
    studio memberships and check-ins, and the ledger below her scopes (and
    her own profile's rows: `teachers_visible_to` adds her, wherever she
    teaches)."""
    from cms.accounts.guards import teacher_or_none
    from cms.studios.selectors import PARTICIPATION_VERSION

    from .models import PORTRAITS_VERSION

    deps = [
        *scopecache.credit_dependencies(request.user),
        pagecache.CONTENT,
        training_selectors.INSTRUMENT_VERSION,
        training_selectors.RESULTS_VERSION,
        PORTRAITS_VERSION,
        PARTICIPATION_VERSION,
    ]
    # Read by the site's navigation anyway (no query of its own).
    own = teacher_or_none(request)
    if own is not None:
        deps.append(pagecache.teacher_dependency(own.pk))
    return deps


def cached_dashboard(*, user, filters: OverviewFilters, dependencies) -> dict:
    """The figures, per user, scope and filters, until any of `dependencies`
    (`overview_dependencies`) changes; at most ten minutes."""
    digest = hashlib.sha256(filters.cache_part.encode()).hexdigest()[:32]
    return pagecache.cached(
        f"overview:{scopecache.scope_key(user)}:{digest}",
        dependencies,
        lambda: dashboard_data(teachers_filtered(user=user, filters=filters)[0]),
        timeout=600,
    )


def overview_charts(data: dict) -> dict:
    """The 驾驶舱's charts, drawn from the figures on the page."""
    from cms.shared.charts import bars_svg, level_chart, line_svg
    from training.framework import term_label
    from training.selectors import level_names

    if data.get("suppressed"):
        return {}
    charts = {
        "levels": level_chart(
            data.get("distribution"),
            level_names=level_names(),
            element_id="chart-levels",
        )
    }
    if data["trend"]:
        charts["trend"] = line_svg(
            points=[(term_label(t["term"]), t["mean"]) for t in data["trend"]],
            title=_("各学期自我测评平均总分"),
            desc=_("每学期完成的测评的平均总分（1 至 5 分）。"),
            element_id="chart-trend",
        )
    if data["schools"]:
        charts["credits"] = bars_svg(
            rows=[
                (
                    s["teacher__school__name"],
                    round((s["n"] - s["behind"]) * 100 / s["n"]) if s["n"] else 0,
                )
                for s in data["schools"]
            ],
            maximum=100,
            unit="%",
            title=_("各校学时进度正常的教师比例"),
            desc=_("按学校统计本周期学时进度不落后的教师占比。"),
            element_id="chart-credits",
        )
    percent = data["percent"]
    charts["studios"] = bars_svg(
        rows=[
            (_("工作室成员"), percent["studio_members"]),
            (_("参加过工作室活动"), percent["studio_attendees"]),
        ],
        maximum=100,
        unit="%",
        title=_("双名工作室辐射面"),
        desc=_("管辖范围内是工作室成员、参加过工作室活动的教师占比。"),
        element_id="chart-studios",
    )
    return charts


def _overview_body(*, user, filters: OverviewFilters, dependencies) -> str:
    data = cached_dashboard(user=user, filters=filters, dependencies=dependencies)
    return render_to_string(
        "portfolios/overview_body.html",
        {
            **data,
            "charts": overview_charts(data),
            "filters": filters,
            "query": filters.query,
            "school": filters.school,
            "min_group": MIN_GROUP,
            "schools_choice": options_html(
                account_selectors.school_choices(user)[:500], filters.school
            ),
            "subjects": Subject.choices,
            "stages": CareerStage.choices,
        },
    )


# What the figures hold (dashboard_data), offered in the page's context.
_FIGURES = (
    "suppressed",
    "as_of",
    "distribution",
    "studio_attendees",
    "total",
    "figures",
    "percent",
    "dimensions",
    "weakest",
    "trend",
    "schools",
    "hidden_schools",
)


@login_required
def org_overview(request):
    """The filters, figures, charts and tables are kept rendered (one entry
    per user, scope, filters, language and day: hundreds of schools in a
    city) until an input changes (`overview_dependencies`); a repeat visit
    authorises, reads that entry and renders the site around it."""
    user = request.user
    if not scoping.can_administer_teachers(user):
        raise PermissionDenied
    filters = OverviewFilters.from_request(request)
    deps = overview_dependencies(request)
    body = pagecache.fragment(
        ("org-overview", scopecache.scope_key(user), filters.cache_part),
        deps,
        lambda: _overview_body(user=user, filters=filters, dependencies=deps),
        timeout=600,
    )
    # The figures as data too, read only if something reads them (the
    # page itself never does): from the figures' own cache entry.
    data = SimpleLazyObject(
        lambda: cached_dashboard(user=user, filters=filters, dependencies=deps)
    )
    return render(
        request,
        "portfolios/overview.html",
        {
            "body": mark_safe(body),  # noqa: S308 (our own template's output)
            **{
                name: SimpleLazyObject(lambda name=name: data[name])
                for name in _FIGURES
            },
        },
    )


@login_required
def org_overview_export(request, fmt: str):
    if not scoping.can_administer_teachers(request.user):
        raise PermissionDenied
    filters = OverviewFilters.from_request(request)
    data = cached_dashboard(
        user=request.user,
        filters=filters,
        dependencies=overview_dependencies(request),
    )
    header = [
        _("学校"),
        _("教师数"),
        _("已测评"),
        _("学时进度落后"),
        _("本周期平均学时"),
    ]
    rows = [
        [
            s["teacher__school__name"],
            s["n"],
            s["assessed"],
            s["behind"],
            round(s["hours"] or 0, 1),
        ]
        for s in data.get("schools", [])
    ]
    return table_response(
        header=header, rows=rows, fmt=fmt, filename="overview", sheet="驾驶舱"
    )


__all__ = ["Organisation"]
