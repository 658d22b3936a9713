"""Self-assessment aggregates for HR and school leaders: their organisation only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from cms.accounts import scopecache, scoping
from cms.accounts import selectors as account_selectors
from cms.shared import pagecache
from cms.shared.exports import table_response
from cms.shared.html import options_html
from training.framework import FRAMEWORK_CODE

from . import selectors
from .models import Framework


def _distribution(request):
    if not scoping.can_administer_teachers(request.user):
        raise PermissionDenied
    teachers = scoping.teachers_visible_to(request.user)
    school_id = request.GET.get("school", "")
    if school_id and school_id.isdigit():
        teachers = teachers.filter(school_id=int(school_id))
    # Kept per user, scope and filter until a result is submitted or removed
    # (results_version) or a teacher or an organisation changes.
    key = (
        f"assessment-distribution:{scopecache.scope_key(request.user)}:"
        f"{school_id if school_id.isdigit() else ''}:{selectors.results_version()}"
    )

    def compute():
        framework = Framework.objects.get(code=FRAMEWORK_CODE)
        distribution = selectors.level_distribution(
            teachers=teachers, framework=framework
        )
        distribution["as_of"] = timezone.now()
        return distribution

    deps = [
        *scopecache.teacher_dependencies(),
        pagecache.CONTENT,  # the framework's names
        selectors.INSTRUMENT_VERSION,
    ]
    return {
        "key": key,
        "deps": deps,
        "distribution": pagecache.cached(key, deps, compute, timeout=600),
        "school_id": school_id,
    }


def _levels():
    instrument = selectors.current_instrument()
    return instrument.levels if instrument else []


@login_required
def org_assessment(request):
    context = _distribution(request)
    page = Paginator(context["distribution"]["schools"], 20).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)

    def figures_html():
        from cms.shared.charts import level_chart

        levels = _levels()
        return render_to_string(
            "training/org_assessment_data.html",
            {
                "distribution": context["distribution"],
                "levels": levels,
                "page": page,
                "level_chart": level_chart(
                    context["distribution"],
                    level_names=[lv["name"] for lv in levels],
                    element_id="chart-levels",
                ),
            },
        )

    # The distribution's tables and chart as rendered, per page of schools
    # and language, under the distribution's own key and versions.
    html = pagecache.cached(
        f"{context['key']}:html:{get_language()}:{page.number}",
        context["deps"],
        figures_html,
        timeout=600,
    )
    chosen = context["school_id"]
    return render(
        request,
        "training/org_assessment.html",
        {
            "distribution": context["distribution"],
            "figures_html": mark_safe(html),  # noqa: S308 (our own template's output)
            "page": page,
            "querystring": params.urlencode(),
            "school_id": chosen,
            "school_options": options_html(
                account_selectors.school_choices(request.user), chosen
            ),
        },
    )


@login_required
def org_assessment_export(request, fmt: str):
    context = _distribution(request)
    dist = context["distribution"]
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
