"""Recognition of outside learning: teachers submit, HR of their organisation decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cms.accounts import scoping
from cms.accounts.guards import teacher_required
from cms.shared.errors import ApplicationError

from . import selectors, services
from .forms import DecisionForm, RecognitionForm
from .models import OutsideCredential, RecognitionRequest
from .views import NOT_A_TEACHER


@teacher_required(not_found=NOT_A_TEACHER)
def recognition_mine(request):
    teacher = request.teacher
    form = RecognitionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.recognition_submit(
            teacher=teacher,
            title=data["title"],
            provider=data["provider"],
            category=data["category"],
            hours=data["hours"],
            earned_on=data["earned_on"],
            evidence=data["evidence"],
        )
        messages.success(request, _("申请已提交，学校人事管理员审核后会记入学分。"))
        return redirect("recognition_mine")
    requests = selectors.recognition_requests_of(teacher)
    return render(
        request, "credits/recognition_mine.html", {"form": form, "requests": requests}
    )


@login_required
def recognition_queue(request):
    if not scoping.can_administer_teachers(request.user):
        raise PermissionDenied
    status = request.GET.get("status") or RecognitionRequest.Status.PENDING
    requests = (
        selectors.recognition_requests_visible_to(request.user)
        .filter(status=status)
        .select_related("teacher__school")
        .order_by("created_at")
    )
    page = Paginator(requests, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "credits/recognition_queue.html",
        {
            "page": page,
            "status": status,
            "statuses": RecognitionRequest.Status.choices,
            "querystring": f"status={status}",
        },
    )


@login_required
def recognition_review(request, pk: int):
    if not scoping.can_administer_teachers(request.user):
        raise PermissionDenied
    req = get_object_or_404(
        selectors.recognition_requests_visible_to(request.user).select_related(
            "teacher__school", "record"
        ),
        pk=pk,
    )
    form = DecisionForm(request.POST or None, initial={"hours": req.hours_claimed})
    if request.method == "POST" and form.is_valid():
        try:
            services.recognition_decide(
                request_id=req.pk,
                reviewer=request.user,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
                hours=form.cleaned_data["hours"],
            )
        except ApplicationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已处理：%(t)s") % {"t": req.title})
            return redirect("recognition_queue")
    return render(
        request,
        "credits/recognition_review.html",
        {"req": req, "form": form, "checks": _checks(req.outside)},
    )


CHECK_LABELS = {
    "format": gettext_lazy("格式"),
    "schema": gettext_lazy("数据结构"),
    "issuer_key": gettext_lazy("签发方密钥"),
    "signature": gettext_lazy("签名"),
    "status": gettext_lazy("撤销状态"),
    "dates": gettext_lazy("有效期"),
}


def _checks(outside) -> list[dict]:
    """The verifier's checks as they were when the credential was brought."""
    if outside is None:
        return []
    return [
        {**c, "label": CHECK_LABELS.get(c.get("check"), c.get("check"))}
        for c in (outside.verification or {}).get("checks", [])
        if isinstance(c, dict)
    ]


@login_required
def outside_detail(request, pk: int):
    """How a credential from elsewhere converted, and why: for its teacher and
    the administrators whose scope covers her."""
    outside = get_object_or_404(
        OutsideCredential.objects.select_related("teacher"), pk=pk
    )
    own = outside.teacher.user_id == request.user.pk
    if not own and not (
        scoping.can_administer_teachers(request.user)
        and scoping.teachers_visible_to(request.user)
        .filter(pk=outside.teacher_id)
        .exists()
    ):
        raise PermissionDenied
    requests = outside.requests.select_related("record").order_by("pk")
    return render(
        request,
        "credits/outside_detail.html",
        {"outside": outside, "requests": requests, "checks": _checks(outside)},
    )


@login_required
def recognition_evidence(request, pk: int):
    """The evidence file, for its teacher and the administrators of her school only."""
    req = get_object_or_404(RecognitionRequest, pk=pk)
    own = req.teacher.user_id == request.user.pk
    if (
        not own
        and not selectors.recognition_requests_visible_to(request.user)
        .filter(pk=pk)
        .exists()
    ):
        raise PermissionDenied
    return FileResponse(
        req.evidence.open("rb"), as_attachment=True, filename=req.evidence_name
    )
