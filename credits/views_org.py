"""HR views of their own organisation's credits: compliance and bulk export."""

from __future__ import annotations

from array import array

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cms.accounts import scopecache, scoping
from cms.shared.exports import table_response
from cms.shared.html import options_html

from . import selectors
from .models import ExportJob
from .rules import RULES_VERSION, cycle_bounds, rule_set_in_force

HEADER = ["姓名", "工号", "学校", "本周期学时", "本年度学时", "是否落后"]


def _require_admin(user):
    if not scoping.can_administer_teachers(user):
        raise PermissionDenied


def _scope_org(user):
    scopes = scoping.hr_scopes(user)
    if scopes:
        return scopes[0]
    from cms.accounts.models import Organisation

    return Organisation.get_first_root_node()


def _compliance(request):
    today = timezone.localdate()
    org = _scope_org(request.user)
    rule_set = rule_set_in_force(school=org, on=today)
    rows = selectors.compliance_list(
        teachers=scoping.teachers_visible_to(request.user).exclude(user=request.user),
        config=rule_set.config,
        on=today,
        behind_only=request.GET.get("behind") == "1",
        order=request.GET.get("order", "hours"),
    ).only("id", "real_name", "staff_number", "school__id", "school__name")
    # Only what the page and the export show: the database groups and sorts
    # every teacher in scope before the first page, and narrow rows (131
    # bytes instead of 391) keep a city's 20,000 in memory instead of on disk.
    first, last = cycle_bounds(rule_set.config, today)
    return rows, {"rule_set": rule_set, "first": first, "last": last, "today": today}


def _ordered_ids(request, rows, info) -> array:
    """The ids of her teachers in the list's order (the database groups and
    sorts every teacher in scope for this): kept per user and scope, rule set,
    day, filter and order until a teacher, an organisation, a rule set or a
    credit total in her scope changes (cms.accounts.scopecache)."""
    user = request.user
    key = ":".join(
        (
            "compliance",
            scopecache.scope_key(user),
            str(info["rule_set"].pk),
            f"{info['first']}-{info['last']}",
            info["today"].isoformat(),
            "behind" if request.GET.get("behind") == "1" else "all",
            request.GET.get("order", "hours")[:10],
        )
    )
    return scopecache.cached_order(
        key, [RULES_VERSION, *scopecache.credit_dependencies(user)], rows
    )


@login_required
def org_credits(request):
    _require_admin(request.user)
    rows, info = _compliance(request)
    page = scopecache.page_of(
        _ordered_ids(request, rows, info), rows, request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    jobs = ExportJob.objects.filter(created_by=request.user).select_related("scope")[:5]
    from cms.accounts.models import OrganisationKind
    from cms.accounts.selectors import scope_choices

    kinds = {value: str(label) for value, label in OrganisationKind.choices}
    # Up to 200 options, built in Python rather than a template node a value.
    scopes = options_html(
        (pk, f"{name}（{kinds.get(kind, kind)}）")
        for pk, name, kind in scope_choices(request.user)
    )
    return render(
        request,
        "credits/org_credits.html",
        {
            **info,
            "page": page,
            "querystring": params.urlencode(),
            "behind": request.GET.get("behind") == "1",
            "order": request.GET.get("order", "hours"),
            "scopes": scopes,
            "jobs": jobs,
        },
    )


@login_required
def org_credits_export(request, fmt: str):
    _require_admin(request.user)
    rows, _info = _compliance(request)
    data = [
        [
            t.real_name,
            t.staff_number,
            t.school.name,
            f"{t.cycle_hours}",
            f"{t.year_hours}",
            "是" if t.behind else "否",
        ]
        for t in rows.iterator(chunk_size=2000)
    ]
    return table_response(
        header=HEADER,
        rows=data,
        fmt=fmt,
        filename="credit-compliance",
        sheet="学分达标",
    )


@login_required
@require_POST
def export_start(request):
    from cms.shared import jobs
    from cms.shared.reliability import BACKGROUND_UNAVAILABLE

    _require_admin(request.user)
    scope_id = request.POST.get("scope", "")
    scope = (
        scoping.organisations_visible_to(request.user).filter(pk=scope_id or 0).first()
    )
    if scope is None:
        messages.error(request, _("请选择您管辖范围内的学校或区县。"))
        return redirect("org_credits")
    job = ExportJob.objects.create(
        created_by=request.user, scope=scope, heartbeat_at=timezone.now()
    )
    jobs.job_send(jobs.EXPORT, job.pk)
    job.refresh_from_db()
    if job.status == ExportJob.Status.FAILED:
        # The broker is down: the job is marked failed (with a retry button),
        # not left queued.
        messages.error(request, BACKGROUND_UNAVAILABLE)
    else:
        messages.info(request, _("已开始生成导出文件。"))
    return redirect("export_detail", pk=job.pk)


@login_required
@require_POST
def export_retry(request, pk: int):
    from cms.shared import jobs

    _require_admin(request.user)
    job = get_object_or_404(ExportJob, pk=pk, created_by=request.user)
    if jobs.job_retry(jobs.EXPORT, job):
        job.refresh_from_db()
        if job.status == ExportJob.Status.FAILED:
            messages.error(request, job.error)
        else:
            messages.info(request, _("已重新开始生成；已生成的学时证明不会重复。"))
    else:
        messages.error(request, _("该导出没有失败，无需重试。"))
    return redirect("export_detail", pk=pk)


@login_required
def export_detail(request, pk: int):
    job = get_object_or_404(
        ExportJob.objects.select_related("scope"), pk=pk, created_by=request.user
    )
    if request.headers.get("Accept") == "application/json":
        return JsonResponse(
            {"status": job.status, "done": job.done, "total": job.total}
        )
    return render(request, "credits/export_detail.html", {"job": job})


@login_required
def export_download(request, pk: int):
    job = get_object_or_404(
        ExportJob, pk=pk, created_by=request.user, status=ExportJob.Status.DONE
    )
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=f"transcripts-{job.scope.code or job.scope.pk}-{job.pk}.zip",
    )
