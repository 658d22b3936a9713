"""The portrait: her own page, goals, evidence and reviews, sharing, the view
log, data download and deletion requests; HR's scoped view of a teacher."""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cms.accounts import scoping
from cms.accounts.guards import teacher_of, teacher_required
from cms.accounts.models import Role, RoleAssignment
from cms.accounts.services import notify
from cms.shared import pagecache
from training.selectors import current_instrument

from . import selectors, services
from .export import portrait_export_zip
from .forms import DeletionForm, EvidenceForm, GoalForm, ShareForm
from .models import (
    SECTIONS,
    DeletionRequest,
    Evidence,
    EvidenceReview,
    Goal,
    PortraitView,
    ShareLink,
)


@teacher_required
def my_portrait(request):
    teacher = request.teacher
    compare = None
    if not (request.GET.get("a") and request.GET.get("b")):
        # Her page without a comparison is a pure function of her data: kept
        # rendered until any of it changes (cms/shared/pagecache.py).
        body = pagecache.fragment(
            ("portrait", teacher.pk),
            pagecache.teacher_pages_dependencies(teacher),
            lambda: render_to_string(
                "portfolios/_portrait_body.html",
                {
                    **selectors.portrait_data(teacher),
                    "own": True,
                    "all_sections": SECTIONS,
                },
            ),
        )
        return render(
            request,
            "portfolios/portrait.html",
            {"own": True, "teacher": teacher, "body": mark_safe(body)},  # noqa: S308
        )
    data = selectors.portrait_data(teacher)
    if request.GET.get("a") and request.GET.get("b"):
        try:
            compare = selectors.results_compare(
                teacher, int(request.GET["a"]), int(request.GET["b"])
            )
        except ValueError:
            compare = None
    return render(
        request,
        "portfolios/portrait.html",
        {
            **data,
            "own": True,
            "compare": compare,
            "all_sections": SECTIONS,
        },
    )


@login_required
def method(request):
    return render(request, "portfolios/method.html")


# --- goals -----------------------------------------------------------------


@teacher_required
@require_http_methods(["GET", "POST"])
def goal_edit(request, pk=None):
    teacher = request.teacher
    goal = get_object_or_404(Goal, pk=pk, teacher=teacher) if pk else None
    form = GoalForm(request.POST if request.method == "POST" else None, instance=goal)
    if request.method == "POST" and form.is_valid():
        goal = form.save(commit=False)
        goal.teacher = teacher
        goal.save()
        form.save_m2m()
        messages.success(request, _("发展目标已保存。"))
        return redirect("my_portrait")
    return render(
        request,
        "portfolios/goal_form.html",
        {"form": form, "goal": goal},
        status=400 if request.method == "POST" else 200,
    )


@teacher_required
@require_http_methods(["GET", "POST"])
def goal_delete(request, pk):
    teacher = request.teacher
    goal = get_object_or_404(Goal, pk=pk, teacher=teacher)
    if request.method == "POST":
        goal.delete()
        messages.success(request, _("已删除该发展目标。"))
        return redirect("my_portrait")
    return render(request, "portfolios/goal_delete.html", {"goal": goal})


# --- evidence and reviews ------------------------------------------------------


def reviewers_for(teacher) -> list[SimpleNamespace]:
    """Who she may ask: trainers and studio leaders whose scope covers her
    school (or everyone's), and the leaders of the studios she belongs to
    (whatever their role's scope). Each once: user_id, user, role label."""
    from cms.studios.selectors import studios_joined

    path = teacher.school.path
    prefixes = [path[:n] for n in range(4, len(path) + 1, 4)]
    out: dict[int, SimpleNamespace] = {}
    for assignment in (
        RoleAssignment.objects.filter(role__in=[Role.TRAINER, Role.STUDIO_LEADER])
        .filter(Q(organisation__isnull=True) | Q(organisation__path__in=prefixes))
        .exclude(user=teacher.user)
        .select_related("user")
        .order_by("role", "user__last_name", "user__first_name", "user__email")
    ):
        out.setdefault(
            assignment.user_id,
            SimpleNamespace(
                user_id=assignment.user_id,
                user=assignment.user,
                get_role_display=assignment.get_role_display(),
            ),
        )
    for membership in studios_joined(teacher=teacher):
        leader = membership.studio.leader
        label = _("%(studio)s主持人") % {"studio": membership.studio.title}
        if leader.pk in out:
            out[leader.pk].get_role_display = label
        else:
            out[leader.pk] = SimpleNamespace(
                user_id=leader.pk, user=leader, get_role_display=label
            )
    return list(out.values())


@teacher_required
@require_http_methods(["GET", "POST"])
def evidence_list(request):
    teacher = request.teacher
    form = EvidenceForm(
        *((request.POST, request.FILES) if request.method == "POST" else ())
    )
    if request.method == "POST" and form.is_valid():
        evidence = form.save(commit=False)
        evidence.teacher = teacher
        upload = form.cleaned_data.get("upload")
        if upload:
            evidence.file = upload
            evidence.file_name = upload.name[-200:]
        evidence.save()
        form.save_m2m()
        messages.success(request, _("成果已添加。"))
        return redirect("evidence_list")
    items = selectors.evidence_of(teacher)
    page = Paginator(items, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "portfolios/evidence.html",
        {"form": form, "page": page, "reviewers": reviewers_for(teacher)},
        status=400 if request.method == "POST" else 200,
    )


@teacher_required
@require_POST
def evidence_request_review(request, pk):
    teacher = request.teacher
    evidence = get_object_or_404(Evidence, pk=pk, teacher=teacher)
    allowed = {r.user_id: r.user for r in reviewers_for(teacher)}
    try:
        reviewer = allowed[int(request.POST.get("reviewer", "0"))]
    except (KeyError, ValueError):
        messages.error(request, _("请选择一位培训者或工作室主持人。"))
        return redirect("evidence_list")
    if not services.evidence_review_request(evidence=evidence, reviewer=reviewer):
        messages.info(request, _("已经请这位老师评价过这份成果，正在等待评价。"))
        return redirect("evidence_list")
    notify(
        user=reviewer,
        title=_("%(name)s 请您评价一份成果") % {"name": teacher.real_name},
        url="/portrait/reviews/",
    )
    messages.success(
        request,
        _("已请 %(name)s 评价“%(title)s”。")
        % {"name": reviewer.display_name, "title": evidence.title},
    )
    return redirect("evidence_list")


@login_required
def evidence_file(request, pk):
    evidence = get_object_or_404(Evidence.objects.select_related("teacher"), pk=pk)
    if not evidence.file or not selectors.evidence_visible_to(request.user, evidence):
        raise Http404
    return FileResponse(
        evidence.file.open("rb"), as_attachment=True, filename=evidence.file_name
    )


@login_required
def review_queue(request):
    reviews = selectors.reviews_asked_of(request.user)
    page = Paginator(reviews, 30).get_page(request.GET.get("page"))
    return render(request, "portfolios/review_queue.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def review_edit(request, pk):
    review = get_object_or_404(
        EvidenceReview.objects.select_related("evidence__teacher"),
        pk=pk,
        reviewer=request.user,
    )
    evidence = review.evidence
    indicators = list(evidence.indicators.order_by("sort_key"))
    instrument = current_instrument()
    descriptors = {}
    if instrument:
        for item in instrument.items.select_related("indicator"):
            descriptors[item.indicator.code] = item.descriptors
    levels = {
        lv["value"]: lv["name"] for lv in (instrument.levels if instrument else [])
    }
    rows = [
        {
            "indicator": ind,
            "options": [
                (
                    n,
                    levels.get(n, str(n)),
                    (descriptors.get(ind.code) or [""] * 5)[n - 1],
                )
                for n in range(1, 6)
            ],
            "chosen": review.levels.get(ind.code),
        }
        for ind in indicators
    ]
    error = None
    if request.method == "POST" and review.status == EvidenceReview.Status.REQUESTED:
        if request.POST.get("decline"):
            review.status = EvidenceReview.Status.DECLINED
            review.comment = request.POST.get("comment", "")[:2000]
            review.reviewed_at = timezone.now()
            review.save()
            messages.info(request, _("已婉拒这次评价。"))
            return redirect("review_queue")
        chosen = {}
        for ind in indicators:
            value = request.POST.get(f"level-{ind.code}", "")
            if value not in {"1", "2", "3", "4", "5"}:
                error = _("请为每个指标选择一个水平（“%(code)s”未选）。") % {
                    "code": ind.code
                }
                break
            chosen[ind.code] = int(value)
        if error is None:
            review.levels = chosen
            review.comment = request.POST.get("comment", "")[:2000]
            review.status = EvidenceReview.Status.DONE
            review.reviewed_at = timezone.now()
            review.save()
            notify(
                user=evidence.teacher.user,
                title=_("您的成果“%(title)s”已获评价") % {"title": evidence.title},
                url="/portrait/evidence/",
            )
            messages.success(request, _("评价已提交，将计入该教师的画像。"))
            return redirect("review_queue")
    elif request.method == "GET":
        selectors.log_view(
            teacher=evidence.teacher, viewer=request.user, via=PortraitView.Via.REVIEWER
        )
    return render(
        request,
        "portfolios/review.html",
        {"review": review, "evidence": evidence, "rows": rows, "error": error},
        status=400 if error else 200,
    )


# --- sharing and privacy ---------------------------------------------------------


@teacher_required
@require_http_methods(["GET", "POST"])
def share_links(request):
    teacher = request.teacher
    form = ShareForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        link = ShareLink.objects.create(
            teacher=teacher, sections=form.cleaned_data["sections"]
        )
        messages.success(request, _("已生成分享链接。"))
        return redirect(f"{request.path}#link-{link.pk}")
    links = ShareLink.objects.filter(teacher=teacher)
    labels = dict(SECTIONS)
    return render(
        request,
        "portfolios/share.html",
        {
            "form": form,
            "links": [
                {
                    "link": link,
                    "url": request.build_absolute_uri(f"/p/{link.token}/"),
                    "labels": [labels[s] for s in link.sections if s in labels],
                }
                for link in links
            ],
        },
        status=400 if request.method == "POST" else 200,
    )


@teacher_required
@require_http_methods(["GET", "POST"])
def share_revoke(request, pk):
    teacher = request.teacher
    link = get_object_or_404(ShareLink, pk=pk, teacher=teacher)
    if request.method == "POST":
        if link.revoked_at is None:
            link.revoked_at = timezone.now()
            link.save(update_fields=["revoked_at"])
        messages.success(request, _("链接已停用，之前拿到链接的人将无法再打开。"))
        return redirect("share_links")
    return render(request, "portfolios/share_revoke.html", {"link": link})


def shared_portrait(request, token):
    link = (
        ShareLink.objects.select_related("teacher__school", "teacher__user")
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )
    if link is None:
        # The site's own 404 page (also under DEBUG), saying what happened.
        return render(
            request,
            "404.html",
            {
                "reason": _(
                    "这个分享链接已停用或不存在。请向分享给您的老师索取新的链接。"
                )
            },
            status=404,
        )
    data = selectors.portrait_data(link.teacher, sections=link.sections, refresh=False)
    viewer = request.user if request.user.is_authenticated else None
    if viewer is None or viewer.pk != link.teacher.user_id:
        selectors.log_view(
            teacher=link.teacher,
            viewer=viewer,
            via=PortraitView.Via.LINK,
            share_link=link,
        )
    return render(
        request, "portfolios/portrait.html", {**data, "own": False, "shared": True}
    )


@teacher_required
def view_log(request):
    teacher = request.teacher
    views = selectors.portrait_views_of(teacher)
    page = Paginator(views, 50).get_page(request.GET.get("page"))
    return render(request, "portfolios/view_log.html", {"page": page})


@teacher_required
def export_zip(request):
    teacher = request.teacher
    body = portrait_export_zip(teacher)
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="my-data-{teacher.staff_number}.zip"'
    )
    return response


@teacher_required
@require_http_methods(["GET", "POST"])
def deletion_request(request):
    teacher = request.teacher
    pending = DeletionRequest.objects.filter(
        teacher=teacher, status=DeletionRequest.Status.PENDING
    ).first()
    form = DeletionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and pending is None and form.is_valid():
        DeletionRequest.objects.create(
            teacher=teacher, reason=form.cleaned_data["reason"]
        )
        for admin in RoleAssignment.objects.filter(
            role=Role.PLATFORM_ADMIN
        ).select_related("user"):
            notify(
                user=admin.user,
                title=_("%(name)s 申请删除个人数据") % {"name": teacher.real_name},
                url="/django-admin/portfolios/deletionrequest/",
            )
        messages.success(request, _("删除申请已提交，平台管理员处理后会通知您。"))
        return redirect("my_portrait")
    return render(
        request,
        "portfolios/deletion.html",
        {"form": form, "pending": pending},
        status=400 if request.method == "POST" and pending is None else 200,
    )


@login_required
def portrait_pdf(request):
    from .report import portrait_pdf_render

    teacher = teacher_of(request)
    body = portrait_pdf_render(selectors.portrait_data(teacher))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="portrait-{teacher.staff_number}.pdf"'
    )
    return response


# --- HR -----------------------------------------------------------------------


@login_required
def org_portrait(request, teacher_id):
    if not scoping.can_administer_teachers(request.user):
        raise PermissionDenied
    teacher = get_object_or_404(
        scoping.teachers_visible_to(request.user).select_related("school", "user"),
        pk=teacher_id,
    )
    data = selectors.portrait_data(teacher)
    if teacher.user_id != request.user.pk:
        selectors.log_view(
            teacher=teacher, viewer=request.user, via=PortraitView.Via.HR
        )
    return render(
        request, "portfolios/portrait.html", {**data, "own": False, "hr_view": True}
    )
