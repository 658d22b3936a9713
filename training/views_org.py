"""Self-assessment aggregates for HR and school leaders: their organisation only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from cms.accounts import scoping
from cms.accounts import selectors as account_selectors
from cms.shared.exports import table_response
from training.framework import FRAMEWORK_CODE

from . import selectors
from .models import Framework


def _distribution(request):
    if not scoping.can_administer_teachers(request.user):
        raise PermissionDenied
    teachers = scoping.teachers_visible_to(request.user)
    school_id = request.GET.get("school")
    schools = account_selectors.schools_visible_to(request.user)
    if school_id and school_id.isdigit():
        teachers = teachers.filter(school_id=int(school_id))
    framework = Framework.objects.get(code=FRAMEWORK_CODE)
    instrument = selectors.current_instrument()
    # Cached per user and filter until any new result is submitted.
    key = (
        f"assessment-distribution:{request.user.pk}:{school_id or ''}:"
        f"{selectors.results_version()}"
    )
    distribution = cache.get(key)
    if distribution is None:
        distribution = selectors.level_distribution(
            teachers=teachers, framework=framework
        )
        distribution["as_of"] = timezone.now()
        cache.set(key, distribution, 600)
    return {
        "distribution": distribution,
        "levels": instrument.levels if instrument else [],
        "schools": schools,
        "school_id": school_id,
    }


@login_required
def org_assessment(request):
    context = _distribution(request)
    context["page"] = Paginator(context["distribution"]["schools"], 20).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    context["querystring"] = params.urlencode()
    from cms.shared.charts import level_chart

    from .selectors import level_names

    context["level_chart"] = level_chart(
        context["distribution"], level_names=level_names(), element_id="chart-levels"
    )
    return render(request, "training/org_assessment.html", context)


@login_required
def org_assessment_export(request, fmt: str):
    context = _distribution(request)
    dist = context["distribution"]
    header = ["范围", "测评人数", "维度"] + [
        level["name"] for level in context["levels"]
    ]
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
