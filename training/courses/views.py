"""Front-end pages for learning (teachers), grading and sessions (trainers)
and campaigns (HR). Course pages themselves are Wagtail pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cms.accounts import scoping
from cms.accounts.guards import teacher_of
from cms.accounts.models import Role
from cms.shared import pagecache
from cms.shared.errors import ApplicationError, application_errors
from cms.shared.exports import table_response
from cms.shared.qr import qr_svg

from . import selectors, services
from .forms import AssignmentForm, CampaignForm, GradeForm, QuizForm, ScoreImportForm
from .models import (
    Campaign,
    CourseLesson,
    CoursePage,
    CourseSession,
    Enrolment,
    LessonKind,
    Submission,
)


def _course(pk) -> CoursePage:
    return get_object_or_404(CoursePage.objects.live(), pk=pk)


def _my_enrolment(request, course_pk) -> Enrolment:
    """The signed-in teacher's own enrolment: nobody opens another's."""
    return get_object_or_404(
        Enrolment.objects.select_related("course", "teacher"),
        course_id=course_pk,
        teacher=teacher_of(request),
    )


@login_required
@require_POST
@application_errors(back=lambda request, pk: _course(pk).url)
def enrol(request, pk):
    course = _course(pk)
    services.course_enrol(course=course, teacher=teacher_of(request))
    messages.success(request, _("报名成功，可以开始学习了。"))
    return redirect(course.url)


@login_required
def my_learning(request):
    teacher = teacher_of(request)
    filters = selectors.LearningFilters.from_request(request)

    def compute() -> tuple[str, str]:
        context = selectors.my_learning(teacher=teacher, filters=filters)
        for row in context["rows"]:
            row["url"] = row["course"].get_url(request)
        return (
            render_to_string("courses/_my_learning_filters.html", context),
            render_to_string("courses/_my_learning_courses.html", context),
        )

    # Her courses and their progress are kept rendered until any of them
    # changes (cms/shared/pagecache.py); the host, as the course links may
    # name the site. Her upcoming sessions change with the time: read live.
    filters_html, courses_html = pagecache.fragment(
        (
            "my_learning",
            teacher.pk,
            request.get_host(),
            filters.status,
            filters.page,
            filters.querystring,
        ),
        pagecache.teacher_pages_dependencies(teacher),
        compute,
    )
    return render(
        request,
        "courses/my_learning.html",
        {
            "filters_html": mark_safe(filters_html),  # noqa: S308
            "courses_html": mark_safe(courses_html),  # noqa: S308
            "upcoming": selectors.upcoming_sessions(teacher=teacher),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@application_errors
def lesson(request, pk, lesson_pk):
    enrolment = _my_enrolment(request, pk)
    lesson = get_object_or_404(CourseLesson, pk=lesson_pk, course_id=pk)
    if request.method == "POST":
        services.lesson_complete(enrolment=enrolment, lesson=lesson)
        messages.success(request, _("已记录：本课时学完。"))
        following = selectors.lesson_following(lesson)
        if following is not None:
            return redirect("course_lesson", pk=pk, lesson_pk=following.pk)
        return redirect(enrolment.course.url)
    progress = selectors.lesson_progress(enrolment=enrolment, lesson=lesson)
    lessons = list(enrolment.course.lessons.all())
    position = next(i for i, item in enumerate(lessons) if item.pk == lesson.pk)
    return render(
        request,
        "courses/lesson.html",
        {
            "course": enrolment.course,
            "enrolment": enrolment,
            "lesson": lesson,
            "progress": progress,
            "number": position + 1,
            "lesson_count": len(lessons),
            "previous": lessons[position - 1] if position else None,
            "next": lessons[position + 1] if position + 1 < len(lessons) else None,
            "threshold": enrolment.course.video_threshold,
        },
    )


@login_required
@require_POST
@application_errors(json=True)
def lesson_progress(request, pk, lesson_pk):
    enrolment = _my_enrolment(request, pk)
    lesson = get_object_or_404(
        CourseLesson, pk=lesson_pk, course_id=pk, kind=LessonKind.VIDEO
    )
    try:
        position = float(request.POST.get("position", ""))
    except ValueError:
        raise ApplicationError(_("播放位置无效。")) from None
    progress = services.video_progress_report(
        enrolment=enrolment, lesson=lesson, position=position
    )
    return JsonResponse(
        {
            "watched": progress.watched_seconds,
            "percent": int(progress.watched_seconds * 100 / lesson.duration_seconds),
            "completed": progress.completed_at is not None,
        }
    )


@login_required
@require_http_methods(["GET", "POST"])
def quiz(request, pk):
    enrolment = _my_enrolment(request, pk)
    questions = list(enrolment.course.questions.all())
    if not questions:
        raise Http404
    form = QuizForm(
        request.POST if request.method == "POST" else None, questions=questions
    )
    attempt = None
    if request.method == "POST" and form.is_valid():
        try:
            attempt = services.quiz_submit(enrolment=enrolment, answers=form.answers())
        except ApplicationError as exc:
            form.add_error(None, str(exc))
        else:
            # Redirect, so that reloading the result does not submit again.
            return redirect(
                reverse("course_quiz", args=[pk]) + f"?attempt={attempt.pk}"
            )
    shown = request.GET.get("attempt", "")
    if request.method == "GET" and shown.isascii() and shown.isdecimal():
        attempt = enrolment.quiz_attempts.filter(pk=int(shown)).first()
    attempts = list(enrolment.quiz_attempts.all()[:10])
    return render(
        request,
        "courses/quiz.html",
        {
            "course": enrolment.course,
            "enrolment": enrolment,
            "form": form,
            "attempt": attempt,
            "attempts": attempts,
            "questions": {q.pk: q for q in questions},
        },
        status=400 if request.method == "POST" and attempt is None else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def assignment(request, pk):
    enrolment = _my_enrolment(request, pk)
    course = enrolment.course
    if not course.require_assignment:
        raise Http404
    submission = selectors.submission_of(enrolment)
    form = AssignmentForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial={"text": submission.text if submission else ""},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.assignment_submit(
                enrolment=enrolment,
                text=form.cleaned_data["text"],
                upload=form.cleaned_data.get("file"),
            )
        except ApplicationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("作业已提交，等待培训者批改。"))
            return redirect("course_assignment", pk=pk)
    return render(
        request,
        "courses/assignment.html",
        {
            "course": course,
            "enrolment": enrolment,
            "submission": submission,
            "form": form,
            "editable": submission is None
            or submission.status != Submission.Status.GRADED,
            "criteria": list(course.rubric.criteria.select_related("indicator"))
            if course.rubric
            else [],
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def submission_file(request, pk):
    """The attached file, for its author and for the course's trainers only."""
    submission = get_object_or_404(
        Submission.objects.select_related("enrolment__teacher__user"), pk=pk
    )
    own = submission.enrolment.teacher.user_id == request.user.pk
    if not own and not (
        selectors.submissions_for_grader(request.user).filter(pk=pk).exists()
    ):
        raise Http404
    if not submission.file:
        raise Http404
    return FileResponse(
        submission.file.open("rb"), as_attachment=True, filename=submission.file_name
    )


# Sessions


def _session(pk) -> CourseSession:
    return get_object_or_404(CourseSession.objects.select_related("course"), pk=pk)


@login_required
@require_POST
@application_errors(back=lambda request, pk: _session(pk).course.url)
def session_register(request, pk):
    session = _session(pk)
    services.session_register(session=session, teacher=teacher_of(request))
    messages.success(request, _("已报名该场次。"))
    return redirect(session.course.url)


@login_required
@require_http_methods(["GET", "POST"])
def session_check_in(request, pk):
    session = _session(pk)
    teacher = teacher_of(request)
    code = request.POST.get("code", request.GET.get("code", ""))
    error = ""
    # Opening the page again shows that she is already checked in.
    registration = selectors.session_checked_in(session=session, teacher=teacher)
    if request.method == "POST" and registration is None:
        try:
            registration = services.session_check_in(
                session=session, teacher=teacher, code=code
            )
        except ApplicationError as exc:
            error = str(exc)
    return render(
        request,
        "courses/check_in.html",
        {
            "session": session,
            "code": code,
            "error": error,
            "registration": registration,
        },
        status=400 if error else 200,
    )


def _trainer_session(request, pk) -> CourseSession:
    session = _session(pk)
    if not services.may_grade(request.user, session.course):
        raise Http404
    return session


@login_required
def session_screen(request, pk):
    """What the trainer puts on the screen: the code, as digits and as a QR
    code, and the attendance so far."""
    session = _trainer_session(request, pk)
    url = request.build_absolute_uri(
        reverse("session_check_in", args=[session.pk]) + f"?code={session.code}"
    )
    registrations = selectors.session_attendance(session=session)
    return render(
        request,
        "courses/session_screen.html",
        {
            "session": session,
            "qr": qr_svg(url),
            "check_in_url": url,
            "registrations": registrations,
            "present": sum(1 for r in registrations if r.checked_in_at),
        },
    )


@login_required
def session_attendance_csv(request, pk):
    session = _trainer_session(request, pk)

    def when(moment):
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")

    return table_response(
        header=["姓名", "工号", "学校", "报名时间", "签到时间"],
        rows=(
            [
                r.teacher.real_name,
                r.teacher.staff_number,
                r.teacher.school.name,
                when(r.registered_at),
                when(r.checked_in_at) if r.checked_in_at else "未签到",
            ]
            for r in selectors.session_attendance(session=session)
        ),
        fmt="csv",
        filename=f"attendance-{session.pk}",
    )


# Grading


def _require_trainer(request) -> None:
    if Role.TRAINER in scoping.user_roles(request.user):
        return
    if not selectors.courses_graded_by(request.user).exists():
        raise PermissionDenied


@login_required
def grading_queue(request):
    _require_trainer(request)
    context = selectors.grading_queue(
        user=request.user, filters=selectors.GradingFilters.from_request(request)
    )
    return render(request, "courses/grading_queue.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def grade(request, pk):
    submission = get_object_or_404(
        selectors.submissions_for_grader(request.user).select_related(
            "enrolment__course__rubric", "enrolment__teacher__school"
        ),
        pk=pk,
    )
    course = submission.enrolment.course
    criteria = (
        list(course.rubric.criteria.select_related("indicator"))
        if course.rubric
        else []
    )
    initial = {f"c{k}": v for k, v in submission.criterion_scores.items()}
    initial["feedback"] = submission.feedback
    form = GradeForm(
        request.POST if request.method == "POST" else None,
        criteria=criteria,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "return":
                services.submission_return(
                    submission=submission,
                    by=request.user,
                    feedback=form.cleaned_data["feedback"],
                )
                messages.success(request, _("已退回修改。"))
            else:
                services.submission_grade(
                    submission=submission,
                    by=request.user,
                    criterion_scores=form.scores(),
                    feedback=form.cleaned_data["feedback"],
                )
                messages.success(request, _("评分已保存。"))
        except ApplicationError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("grading_queue")
    return render(
        request,
        "courses/grade.html",
        {
            "submission": submission,
            "course": course,
            "form": form,
            "changes": list(submission.changes.select_related("changed_by")),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def scores_import(request):
    _require_trainer(request)
    form = ScoreImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = services.scores_import(
            by=request.user, name=upload.name, data=upload.read()
        )
        if not result.errors:
            messages.success(
                request, _("已导入 %(n)d 条线下成绩。") % {"n": result.applied}
            )
            return redirect("grading_queue")
    return render(
        request,
        "courses/scores_import.html",
        {
            "form": form,
            "result": result,
            "courses": selectors.courses_graded_by(request.user)
            .order_by("title")
            .values_list("pk", "title")[:50],
        },
        status=400 if result is not None and result.errors else 200,
    )


@login_required
def scores_template(request):
    _require_trainer(request)
    return table_response(
        header=["工号", "课程编号", "成绩", "是否合格", "评语"],
        rows=[],
        fmt="xlsx",
        filename="offline-scores-template",
        sheet="线下成绩",
    )


# Campaigns (HR)


def _require_admin(request) -> None:
    if not scoping.can_administer_teachers(request.user):
        raise PermissionDenied


@login_required
def campaign_list(request):
    _require_admin(request)
    page = Paginator(selectors.campaigns_visible_to(request.user), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "courses/campaign_list.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request):
    _require_admin(request)
    form = CampaignForm(
        request.POST or None,
        organisations=scoping.organisations_visible_to(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(
                by=request.user,
                title=form.cleaned_data["title"],
                organisation=form.cleaned_data["organisation"],
                courses=form.cleaned_data["courses"],
            )
        except ApplicationError as exc:
            form.add_error(None, str(exc))
        else:
            if campaign.status == Campaign.Status.FAILED:
                messages.error(request, campaign.error)
            else:
                messages.success(request, _("研修项目已创建，正在后台为教师报名。"))
            return redirect("campaign_detail", pk=campaign.pk)
    return render(
        request,
        "courses/campaign_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def _campaign(request, pk) -> Campaign:
    return get_object_or_404(selectors.campaigns_visible_to(request.user), pk=pk)


@login_required
def campaign_detail(request, pk):
    _require_admin(request)
    campaign = _campaign(request, pk)
    return render(
        request,
        "courses/campaign_detail.html",
        {"campaign": campaign, **selectors.campaign_figures(campaign=campaign)},
    )


@login_required
def campaign_status(request, pk):
    _require_admin(request)
    campaign = _campaign(request, pk)
    return JsonResponse(
        {
            "status": campaign.status,
            "status_label": campaign.get_status_display(),
            "processed": campaign.processed,
            "total": campaign.total,
            "enrolled": campaign.enrolled,
            "percent": campaign.percent,
        }
    )


@login_required
@require_POST
@application_errors(back=lambda request, pk: reverse("campaign_detail", args=[pk]))
def campaign_restart(request, pk):
    _require_admin(request)
    campaign = _campaign(request, pk)
    campaign = services.campaign_restart(campaign=campaign, by=request.user)
    if campaign.status == Campaign.Status.FAILED:
        messages.error(request, campaign.error)
    else:
        messages.success(request, _("已重新开始报名；已报名的教师不会重复报名。"))
    return redirect("campaign_detail", pk=pk)
