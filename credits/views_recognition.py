"""Recognition of outside learning: teachers submit, HR of their organisation decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from cms.accounts import scoping
from cms.accounts.guards import teacher_required
from cms.shared.errors import ApplicationError

from . import services
from .forms import DecisionForm, RecognitionForm
from .models import RecognitionRequest
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
    requests = RecognitionRequest.objects.filter(teacher=teacher)
    return render(
        request, "credits/recognition_mine.html", {"form": form, "requests": requests}
    )


def _visible_requests(user):
    return RecognitionRequest.objects.filter(
        teacher__in=scoping.teachers_visible_to(user)
    ).exclude(teacher__user=user)


@login_required
def recognition_queue(request):
    if not scoping.can_administer_teachers(request.user):
        raise PermissionDenied
    status = request.GET.get("status") or RecognitionRequest.Status.PENDING
    requests = (
        _visible_requests(request.user)
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
        _visible_requests(request.user).select_related("teacher__school", "record"),
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
        request, "credits/recognition_review.html", {"req": req, "form": form}
    )


@login_required
def recognition_evidence(request, pk: int):
    """The evidence file, for its teacher and the administrators of her school only."""
    req = get_object_or_404(RecognitionRequest, pk=pk)
    own = req.teacher.user_id == request.user.pk
    if not own and not _visible_requests(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    return FileResponse(
        req.evidence.open("rb"), as_attachment=True, filename=req.evidence_name
    )
