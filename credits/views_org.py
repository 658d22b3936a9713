"""HR views of their own organisation's credits: compliance and bulk export."""

from __future__ import annotations

from array import array

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cms.accounts import scopecache, scoping
from cms.shared import pagecache
from cms.shared.exports import table_response
from cms.shared.html import options_html

from . import selectors
from .models import ExportJob, export_jobs_dependency
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


ORDERS = ("hours", "-hours", "school", "name")


def _filters(request) -> tuple[bool, str]:
    """The list's filter and order as the page shows them: an unknown order
    is the default one (which is what the list falls back to)."""
    order = request.GET.get("order", "hours")
    return request.GET.get("behind") == "1", order if order in ORDERS else "hours"


def _compliance(request, behind: bool | None = None, order: str | None = None):
    today = timezone.localdate()
    org = _scope_org(request.user)
    rule_set = rule_set_in_force(school=org, on=today)
    if behind is None:
        behind = request.GET.get("behind") == "1"
    if order is None:
        order = request.GET.get("order", "hours")
    rows = selectors.compliance_list(
        teachers=scoping.teachers_visible_to(request.user).exclude(user=request.user),
        config=rule_set.config,
        on=today,
        behind_only=behind,
        order=order,
    ).only("id", "real_name", "staff_number", "school__id", "school__name")
    # Only what the page and the export show: the database groups and sorts
    # every teacher in scope before the first page, and narrow rows (131
    # bytes instead of 391) keep a city's 20,000 in memory instead of on disk.
    first, last = cycle_bounds(rule_set.config, today)
    return rows, {"rule_set": rule_set, "first": first, "last": last, "today": today}


def _ordered_ids(request, rows, info, behind: bool, order: str) -> array:
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
            "behind" if behind else "all",
            order,
        )
    )
    return scopecache.cached_order(
        key, [RULES_VERSION, *scopecache.credit_dependencies(user)], rows
    )


def _compliance_body(request, behind: bool, order: str, number: int) -> str:
    rows, info = _compliance(request, behind, order)
    page = scopecache.page_of(
        _ordered_ids(request, rows, info, behind, order), rows, number
    )
    # The query string of the export and page links, from the normalised
    # filters (the defaults left out).
    params = QueryDict(mutable=True)
    if order != "hours":
        params["order"] = order
    if behind:
        params["behind"] = "1"
    return render_to_string(
        "credits/_org_credits_body.html",
        {
            **info,
            "page": page,
            "querystring": params.urlencode(),
            "behind": behind,
            "order": order,
        },
    )


def _exports_section(user) -> str:
    """Her recent bulk exports and the scopes she may export (a form: rendered
    with the CSRF slot)."""
    from cms.accounts.models import OrganisationKind
    from cms.accounts.selectors import scope_choices

    jobs = ExportJob.objects.filter(created_by=user).select_related("scope")[:5]
    kinds = {value: str(label) for value, label in OrganisationKind.choices}
    # Up to 200 options, built in Python rather than a template node a value.
    scopes = options_html(
        (pk, f"{name}（{kinds.get(kind, kind)}）")
        for pk, name, kind in scope_choices(user)
    )
    return render_to_string(
        "credits/_org_credits_exports.html",
        {"scopes": scopes, "jobs": jobs, "csrf_token": pagecache.csrf_slot()},
    )


@login_required
def org_credits(request):
    """The compliance list, kept rendered per user and scope, filter, order,
    page, language and day until a rule set, a teacher or an organisation, or
    a credit total in her scope changes; her recent exports kept apart, until
    one of her export jobs changes (or an organisation: their names and the
    scopes she may choose). Authorising runs on every request."""
    _require_admin(request.user)
    user = request.user
    behind, order = _filters(request)
    number = scopecache.page_number(request.GET.get("page"))
    scope = scopecache.scope_key(user)
    prefix = get_script_prefix()
    body = pagecache.fragment(
        ("org_credits", prefix, scope, behind, order, number),
        [RULES_VERSION, *scopecache.credit_dependencies(user)],
        lambda: _compliance_body(request, behind, order, number),
    )
    exports = pagecache.fragment(
        ("org_credits_exports", prefix, scope),
        [scopecache.TEACHERS, export_jobs_dependency(user.pk)],
        lambda: _exports_section(user),
    )
    return render(
        request,
        "credits/org_credits.html",
        {
            # Rendered templates: their variables were escaped.
            "body": mark_safe(body),  # noqa: S308
            "exports": mark_safe(pagecache.with_csrf(request, exports)),  # noqa: S308
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
