"""Front-end pages for studio members, leaders, reviewers and HR."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.models import TaskState

from cms.accounts import scoping
from cms.accounts.guards import teacher_of
from cms.accounts.models import GradeBand
from cms.shared.errors import ApplicationError, application_errors
from cms.shared.qr import qr_svg
from cms.shared.uploads import artefact_validate
from training.framework import FRAMEWORK_CODE
from training.selectors import indicators

from . import selectors, services
from .models import (
    Activity,
    ArticleKind,
    Membership,
    Registration,
    ResourceKind,
    StudioArticlePage,
    StudioPage,
    StudioResourcePage,
)
from .selectors import studios_figures


def _studio(pk) -> StudioPage:
    return get_object_or_404(
        StudioPage.objects.select_related("region", "leader"), pk=pk
    )


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


# --- members -------------------------------------------------------------------


@login_required
@require_POST
@application_errors(back=lambda request, pk: _studio(pk).url)
def join(request, pk):
    studio = _studio(pk)
    teacher = teacher_of(request)
    services.membership_apply(
        studio=studio, teacher=teacher, message=request.POST.get("message", "")
    )
    messages.success(request, _("申请已提交，请等待主持人审核。"))
    return redirect(studio.url)


@login_required
@require_http_methods(["GET", "POST"])
@application_errors
def members(request, pk):
    studio = _studio(pk)
    if not services.is_leader(request.user, studio):
        raise PermissionDenied
    if request.method == "POST":
        membership = get_object_or_404(
            Membership, pk=_int(request.POST.get("membership")), studio=studio
        )
        action = request.POST.get("action")
        if action in ("approve", "decline"):
            role = request.POST.get("role")
            services.membership_decide(
                membership=membership,
                by=request.user,
                approve=action == "approve",
                reply=request.POST.get("reply", ""),
                role=role
                if role in (Membership.Role.BACKBONE, Membership.Role.FOLLOWER)
                else None,
            )
            messages.success(
                request,
                _("已处理 %(name)s 的申请。") % {"name": membership.teacher.real_name},
            )
        elif action == "end":
            services.membership_end(membership=membership, by=request.user)
            messages.success(
                request,
                _("%(name)s 已结业。") % {"name": membership.teacher.real_name},
            )
        return redirect("studio_members", pk=studio.pk)
    rows = selectors.studio_members(studio)
    return render(
        request,
        "studios/members.html",
        {"studio": studio, "rows": rows, "roles": Membership.Role.choices},
    )


# --- publishing ------------------------------------------------------------------


class IndicatorField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


def _indicators():
    return indicators(framework_code=FRAMEWORK_CODE)


class ArticleForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("标题"), max_length=120)
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=ArticleKind.choices)
    summary = forms.CharField(
        label=gettext_lazy("摘要"), max_length=300, required=False
    )
    body = forms.CharField(
        label=gettext_lazy("正文"), widget=forms.Textarea(attrs={"rows": 10})
    )
    indicators = IndicatorField(
        queryset=None, required=False, label=gettext_lazy("对应素养指标")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicators"].queryset = _indicators()


class ResourceForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("标题"), max_length=120)
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=ResourceKind.choices)
    description = forms.CharField(
        label=gettext_lazy("说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    upload = forms.FileField(label=gettext_lazy("文件"))
    grade_band = forms.ChoiceField(
        label=gettext_lazy("学段"),
        choices=[("", "—"), *GradeBand.choices],
        required=False,
    )
    indicators = IndicatorField(
        queryset=None, required=False, label=gettext_lazy("对应素养指标")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicators"].queryset = _indicators()

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        artefact_validate(upload)
        return upload


def _paragraphs(text: str) -> str:
    from django.utils.html import escape

    return "".join(f"<p>{escape(p.strip())}</p>" for p in text.split("\n") if p.strip())


@login_required
@require_http_methods(["GET", "POST"])
def write(request, pk, what):
    studio = _studio(pk)
    if what not in ("article", "resource"):
        raise Http404
    if not services.is_editor(request.user, studio):
        raise PermissionDenied
    form_class = ArticleForm if what == "article" else ResourceForm
    form = form_class(
        *((request.POST, request.FILES) if request.method == "POST" else ())
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if what == "article":
            page = StudioArticlePage(
                title=data["title"],
                kind=data["kind"],
                summary=data["summary"],
                body=_paragraphs(data["body"]),
            )
        else:
            upload = data["upload"]
            page = StudioResourcePage(
                title=data["title"],
                kind=data["kind"],
                description=data["description"],
                file=upload,
                file_name=upload.name[-200:],
                subject=studio.subject,
                grade_band=data["grade_band"],
            )
        page.indicators = list(data["indicators"])
        services.submit_for_review(studio=studio, user=request.user, page=page)
        messages.success(request, _("已提交审核，审核通过后公开发布。"))
        return redirect("studio_drafts", pk=studio.pk)
    return render(
        request,
        "studios/write.html",
        {"studio": studio, "form": form, "what": what},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def drafts(request, pk):
    """What the studio's editors have written that is not (or not yet) public."""
    studio = _studio(pk)
    if not services.is_editor(request.user, studio):
        raise PermissionDenied
    pages = (
        studio.get_children()
        .filter(live=False)
        .specific()
        .order_by("-latest_revision_created_at")
    )
    rows = []
    for page in pages:
        state = page.workflow_states.order_by("-created_at").first()
        comment = ""
        if state is not None:
            last = state.task_states.order_by("-started_at").first()
            comment = last.comment if last else ""
        rows.append({"page": page, "state": state, "comment": comment})
    return render(request, "studios/drafts.html", {"studio": studio, "rows": rows})


@login_required
def review_queue(request):
    rows = [
        {"state": state, "page": page, "studio": studio}
        for state, page, studio in services.reviewable_for(request.user)
    ]
    return render(request, "studios/review_queue.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def review(request, state_id):
    state = get_object_or_404(
        TaskState, pk=state_id, status=TaskState.STATUS_IN_PROGRESS
    )
    page = state.workflow_state.content_object.specific
    task = state.task.specific
    if not hasattr(task, "user_can_review") or not task.user_can_review(
        page, request.user
    ):
        raise Http404
    draft = page.get_latest_revision_as_object()
    error = None
    if request.method == "POST":
        try:
            services.review_decide(
                task_state=state,
                user=request.user,
                approve=request.POST.get("decision") == "approve",
                comment=request.POST.get("comment", ""),
            )
        except ApplicationError as exc:
            error = str(exc)
        else:
            messages.success(request, _("审核结果已保存。"))
            return redirect("studio_review_queue")
    return render(
        request,
        "studios/review.html",
        {
            "state": state,
            "page": draft,
            "studio": selectors.studio_of(page),
            "error": error,
        },
        status=400 if error else 200,
    )


def resource_download(request, pk):
    page = get_object_or_404(StudioResourcePage, pk=pk)
    studio = selectors.studio_of(page)
    if not page.live and not services.is_editor(request.user, studio):
        raise Http404
    if page.live:
        services.resource_download_count(page)
    return FileResponse(
        page.file.open("rb"), as_attachment=True, filename=page.file_name
    )


# --- activities ----------------------------------------------------------------------


class ActivityForm(forms.ModelForm):
    starts_at = forms.DateTimeField(
        label=gettext_lazy("开始时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("结束时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    link = forms.URLField(
        label=gettext_lazy("线上链接"), required=False, assume_scheme="https"
    )
    indicators = IndicatorField(
        queryset=None, required=False, label=gettext_lazy("对应素养指标")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicators"].queryset = _indicators()

    class Meta:
        model = Activity
        fields = [
            "title",
            "kind",
            "online",
            "starts_at",
            "ends_at",
            "place",
            "link",
            "capacity",
            "hours",
            "needs_reflection",
            "indicators",
        ]

    def clean(self):
        data = super().clean()
        if (
            data.get("starts_at")
            and data.get("ends_at")
            and data["ends_at"] <= data["starts_at"]
        ):
            raise ValidationError(_("结束时间必须晚于开始时间。"))
        if data.get("online") and not data.get("link"):
            self.add_error("link", _("线上活动请填写链接。"))
        if not data.get("online") and not data.get("place"):
            self.add_error("place", _("线下活动请填写地点。"))
        return data


@login_required
@require_http_methods(["GET", "POST"])
def activity_new(request, pk):
    studio = _studio(pk)
    if not services.is_leader(request.user, studio):
        raise PermissionDenied
    form = ActivityForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        activity = form.save(commit=False)
        activity.studio = studio
        activity.save()
        form.save_m2m()
        messages.success(request, _("活动已发布。"))
        return redirect("studio_activity", pk=activity.pk)
    return render(
        request,
        "studios/activity_form.html",
        {"studio": studio, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@application_errors
def activity(request, pk):
    activity = get_object_or_404(Activity.objects.select_related("studio"), pk=pk)
    studio = activity.studio
    leader = services.is_leader(request.user, studio)
    teacher = (
        getattr(request.user, "teacher_profile", None)
        if request.user.is_authenticated
        else None
    )
    registration = (
        selectors.registration_of(activity=activity, teacher=teacher)
        if teacher
        else None
    )
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        action = request.POST.get("action")
        if action == "register" and teacher:
            services.activity_register(activity=activity, teacher=teacher)
            messages.success(request, _("报名成功。"))
        elif action == "check_in" and teacher:
            services.check_in(
                activity=activity,
                teacher=teacher,
                code=request.POST.get("code", ""),
            )
            messages.success(request, _("签到成功，出勤已记录。"))
        elif action == "reflection" and registration:
            services.reflection_submit(
                registration=registration, text=request.POST.get("reflection", "")
            )
            messages.success(request, _("研修反思已提交。"))
        elif action == "assess" and leader:
            target = get_object_or_404(
                Registration,
                pk=_int(request.POST.get("registration")),
                activity=activity,
            )
            services.reflection_assess(
                registration=target,
                by=request.user,
                passed=request.POST.get("result") == "pass",
            )
            messages.success(request, _("已评定。"))
        else:
            raise PermissionDenied
        return redirect("studio_activity", pk=activity.pk)
    context = {
        "activity": activity,
        "studio": studio,
        "registration": registration,
        "is_leader": leader,
        "registered": activity.registrations.count(),
    }
    if leader:
        context["attendance"] = activity.registrations.select_related(
            "teacher__school"
        ).order_by("teacher__real_name")
        context["check_in_url"] = request.build_absolute_uri(
            f"/studios/activities/{activity.pk}/?code={activity.code}"
        )
        context["qr"] = qr_svg(context["check_in_url"])
    context["prefill_code"] = request.GET.get("code", "")[:6]
    return render(request, "studios/activity.html", context)


# --- HR ------------------------------------------------------------------------------


@login_required
def org_studios(request):
    if not scoping.can_administer_teachers(request.user):
        raise PermissionDenied
    # Studios whose region lies within what the caller administers.
    studios = (
        StudioPage.objects.filter(
            region__in=scoping.organisations_visible_to(request.user)
        )
        .select_related("region")
        .order_by("title")
    )
    page = Paginator(studios, 50).get_page(request.GET.get("page"))
    studios = list(page.object_list)
    figures = studios_figures(studios)
    rows = [{"studio": s, **figures[s.pk]} for s in studios]
    return render(request, "studios/org_studios.html", {"rows": rows, "page": page})
