"""Public framework pages and the teacher's self-assessment."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cms.accounts.guards import teacher_of, teacher_required
from cms.shared import pagecache
from cms.shared.pagecache import cacheable
from cms.shared.radar import radar_svg

from . import selectors, services
from .forms import MISSING, StepForm
from .models import (
    AssessmentAttempt,
    AssessmentResult,
    Competency,
    Framework,
    Instrument,
)

# Pages that exist only for teachers answer others with this.
NOT_A_TEACHER = gettext_lazy("只有教师可以参加自我测评。")


@cacheable
def framework_index(request):
    frameworks = Framework.objects.order_by("code")
    return render(request, "training/framework_index.html", {"frameworks": frameworks})


@cacheable
def framework_detail(request, framework_code: str):
    framework = get_object_or_404(Framework, code=framework_code)
    return render(
        request,
        "training/framework_detail.html",
        {
            "framework": framework,
            "dimensions": selectors.framework_tree(framework=framework),
        },
    )


@cacheable
def competency_detail(request, framework_code: str, code: str):
    competency = get_object_or_404(
        Competency.objects.select_related("framework", "parent__parent"),
        framework__code=framework_code,
        code=code,
    )
    children = competency.children.all()
    resources = competency.learning_resources.filter(is_active=True)[:10]
    return render(
        request,
        "training/competency_detail.html",
        {
            "competency": competency,
            "children": children,
            "ancestors": [
                a
                for a in (
                    competency.parent.parent if competency.parent else None,
                    competency.parent,
                )
                if a
            ],
            "resources": resources,
            "uri": request.build_absolute_uri(competency.get_absolute_url()),
        },
    )


def scoring_model(request):
    instrument = selectors.current_instrument()
    return render(request, "training/scoring_model.html", {"instrument": instrument})


@login_required
def assessment_home(request):
    teacher = getattr(request.user, "teacher_profile", None)
    if teacher is None:
        return render(request, "training/assessment_home.html", {"teacher": None})
    # Her attempts and results, the instrument and the date: kept rendered
    # until any of them changes (cms/shared/pagecache.py); her forms get her
    # own CSRF token after.
    body = pagecache.fragment(
        ("assessment_home", teacher.pk),
        pagecache.teacher_pages_dependencies(teacher),
        lambda: render_to_string(
            "training/_assessment_home_body.html",
            {**_assessment_home(teacher), "csrf_token": pagecache.csrf_slot()},
        ),
    )
    return render(
        request,
        "training/assessment_home.html",
        {"body": mark_safe(pagecache.with_csrf(request, body))},  # noqa: S308
    )


def _assessment_home(teacher) -> dict:
    context = {"teacher": teacher}
    context["open_attempt"] = (
        AssessmentAttempt.objects.filter(
            teacher=teacher, status=AssessmentAttempt.Status.IN_PROGRESS
        )
        .select_related("instrument")
        .first()
    )
    results = list(selectors.results_for(teacher=teacher))
    context["results"] = results
    if results:
        available = services.retake_available_on(last_submitted=results[0].submitted_at)
        if available > timezone.localdate():
            context["retake_on"] = available
    context["instrument"] = selectors.current_instrument()
    return context


@teacher_required(not_found=NOT_A_TEACHER)
@require_POST
def assessment_start(request):
    teacher = request.teacher
    try:
        attempt = services.attempt_start(teacher=teacher)
    except services.RetakeNotYet as exc:
        messages.info(
            request,
            _("本学期已完成测评，%(day)s 起可以再次测评。")
            % {"day": exc.available_on.strftime("%Y-%m-%d")},
        )
        return redirect("assessment_home")
    except Instrument.DoesNotExist:
        messages.error(request, _("测评工具尚未发布，请联系平台管理员。"))
        return redirect("assessment_home")
    return redirect("assessment_step", step=attempt.step)


def _open_attempt(teacher) -> AssessmentAttempt | None:
    return (
        AssessmentAttempt.objects.filter(
            teacher=teacher, status=AssessmentAttempt.Status.IN_PROGRESS
        )
        .select_related("instrument")
        .first()
    )


@teacher_required(not_found=NOT_A_TEACHER)
def assessment_step(request, step: int):
    teacher = request.teacher
    attempt = _open_attempt(teacher)
    if attempt is None:
        return redirect("assessment_home")
    progress = selectors.attempt_progress(attempt=attempt)
    steps = progress["steps"]
    if not 1 <= step <= len(steps):
        return redirect("assessment_step", step=attempt.step)
    current = steps[step - 1]
    form = StepForm(request.POST or None, items=current["items"])
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action", "next")
        missing = form.unanswered() if action == "next" else []
        if action == "prev" and step > 1:
            target = step - 1
        elif action == "next" and not missing and step < len(steps):
            target = step + 1
        else:
            target = step
        services.answers_save(attempt=attempt, answers=form.answers(), step=target)
        if action == "save":
            messages.success(request, _("已保存，下次回来可以接着作答。"))
            return redirect("assessment_home")
        if missing:
            for item in missing:
                form.add_error(f"item_{item.pk}", MISSING)
        elif target != step:
            return redirect("assessment_step", step=target)
        elif action == "next":
            return redirect("assessment_review")
    elif request.method == "GET" and attempt.step != step:
        services.answers_save(attempt=attempt, answers={}, step=step)
    return render(
        request,
        "training/assessment_step.html",
        {
            "attempt": attempt,
            "form": form,
            "step": current,
            "steps": steps,
            "progress": progress,
            "is_last": step == len(steps),
            "percent": round(100 * progress["answered"] / progress["total"])
            if progress["total"]
            else 0,
        },
    )


@login_required
@require_POST
def assessment_autosave(request):
    """Saves answers as the teacher clicks, so closing the browser loses nothing."""
    teacher = teacher_of(request, not_found=NOT_A_TEACHER)
    attempt = _open_attempt(teacher)
    if attempt is None:
        return JsonResponse({"error": _("没有进行中的测评。")}, status=409)
    try:
        payload = json.loads(request.body or b"{}")
        answers = {int(k): int(v) for k, v in payload.get("answers", {}).items()}
    except (ValueError, TypeError, AttributeError):
        return JsonResponse({"error": _("提交的数据格式不正确。")}, status=400)
    saved = services.answers_save(attempt=attempt, answers=answers)
    answered = attempt.answers.count()
    return JsonResponse({"saved": saved, "answered": answered})


@teacher_required(not_found=NOT_A_TEACHER)
def assessment_review(request):
    teacher = request.teacher
    attempt = _open_attempt(teacher)
    if attempt is None:
        last = AssessmentResult.objects.filter(teacher=teacher).first()
        return (
            redirect("assessment_result", pk=last.pk)
            if last
            else redirect("assessment_home")
        )
    progress = selectors.attempt_progress(attempt=attempt)
    if request.method == "POST":
        try:
            result = services.attempt_submit(attempt=attempt)
        except services.IncompleteAnswers:
            messages.error(request, _("还有题目没有作答，请先完成再提交。"))
        else:
            messages.success(request, _("测评已提交，这是您的报告。"))
            return redirect("assessment_result", pk=result.pk)
    return render(
        request,
        "training/assessment_review.html",
        {
            "attempt": attempt,
            "progress": progress,
        },
    )


def _own_result(request, pk: int) -> AssessmentResult:
    teacher = teacher_of(request, not_found=NOT_A_TEACHER)
    return get_object_or_404(
        AssessmentResult.objects.select_related("instrument", "teacher__school"),
        pk=pk,
        teacher=teacher,
    )


@login_required
def assessment_result(request, pk: int):
    teacher = teacher_of(request, not_found=NOT_A_TEACHER)
    # Hers, checked on every view; the result itself is read only to render
    # the report when it is not kept.
    if not AssessmentResult.objects.filter(pk=pk, teacher=teacher).exists():
        raise Http404

    def body():
        result = _own_result(request, pk)
        report = selectors.result_report(result=result)
        labels = [row["name"] for row in report["dimensions"]]
        series = [[row["score"] for row in report["dimensions"]]]
        names = [_("本次")]
        if report["previous"]:
            series.append([row["previous"] or 0 for row in report["dimensions"]])
            names.append(_("上次"))
        report["radar"] = radar_svg(
            labels=labels,
            series=series,
            series_names=names,
            title=_("五个维度的水平雷达图"),
        )
        return render_to_string("training/_assessment_result_body.html", report)

    # Her report is a pure function of her data and the framework: kept
    # rendered until either changes (cms/shared/pagecache.py).
    html = pagecache.fragment(
        ("assessment-report", teacher.pk, pk),
        pagecache.teacher_pages_dependencies(teacher),
        body,
    )
    return render(
        request,
        "training/assessment_result.html",
        {"body": mark_safe(html)},  # noqa: S308
    )


@login_required
def assessment_result_pdf(request, pk: int):
    from .report_pdf import report_pdf_render

    result = _own_result(request, pk)
    report = selectors.result_report(result=result)
    pdf = report_pdf_render(
        report=report,
        teacher_name=result.teacher.real_name,
        school_name=result.teacher.school.name,
        link_base=request.build_absolute_uri("/"),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="self-assessment-{result.term}-{result.pk}.pdf"'
    )
    return response
