"""One course: its page, the ledger's learning kind for its completion and
what a credential for completing it says."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from cms.accounts.models import TeacherProfile

from ..models import (
    CourseMode,
    CoursePage,
    Enrolment,
    LessonProgress,
    QuizAttempt,
    SessionRegistration,
    Submission,
)


def course_detail(
    *, course: CoursePage, teacher: TeacherProfile | None, user=None
) -> dict:
    """The course page: its lessons by module, sessions and, for `teacher`,
    her enrolment, progress and what is missing; `user` (signed in or not)
    is asked whether she grades it. The page registers its cache dependency."""
    from .. import services

    lessons = list(course.lessons.all())
    modules: list[dict] = []
    for lesson in lessons:
        name = lesson.module or _("课程内容")
        if not modules or modules[-1]["name"] != name:
            modules.append({"name": name, "lessons": []})
        modules[-1]["lessons"].append(lesson)
    sessions = list(course.sessions.all())
    enrolment = None
    done: set[int] = set()
    registered: dict[int, SessionRegistration] = {}
    submission = quiz = None
    missing: list[str] = []
    if teacher is not None:
        enrolment = Enrolment.objects.filter(course=course, teacher=teacher).first()
    if enrolment is not None:
        enrolment.course = course
        done = set(
            LessonProgress.objects.filter(
                enrolment=enrolment, completed_at__isnull=False
            ).values_list("lesson_id", flat=True)
        )
        registered = {
            r.session_id: r
            for r in SessionRegistration.objects.filter(
                teacher=teacher, session__course=course
            )
        }
        submission = Submission.objects.filter(enrolment=enrolment).first()
        quiz = QuizAttempt.objects.filter(enrolment=enrolment).first()
        missing = services.completion_missing(
            enrolment=enrolment, lesson_count=len(lessons)
        )
    seats_left = None
    if course.capacity is not None:
        seats_left = max(0, course.capacity - course.enrolments.count())
    from credits.selectors import credit_value

    return {
        "course": course,
        "credits": credit_value(
            kind=course_credit_kind(course),
            hours=course.hours,
            school=teacher.school if teacher is not None else None,
        ),
        "modules": modules,
        "lesson_count": len(lessons),
        "done": done,
        "question_count": course.questions.count(),
        "sessions": [
            {"session": s, "registration": registered.get(s.pk)} for s in sessions
        ],
        "indicators": list(
            course.indicators.select_related("parent__parent", "framework").order_by(
                "sort_key"
            )
        ),
        "teacher": teacher,
        "enrolment": enrolment,
        "submission": submission,
        "quiz": quiz,
        "missing": missing,
        "closed_reason": services.enrolment_open_reason(
            course=course, on=timezone.localdate()
        ),
        "seats_left": seats_left,
        "is_trainer": user is not None
        and user.is_authenticated
        and services.may_grade(user, course),
    }


def teacher_course_body(*, request, course: CoursePage, teacher: TeacherProfile):
    """The content of the course page for a signed-in teacher (the live page,
    not a preview): a pure function of the course, her rows and the date,
    kept rendered (cms.shared.pagecache.fragment) until any of them changes.
    Her forms get her own CSRF token after the fragment is read."""
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    from cms.shared import pagecache

    def compute() -> str:
        return render_to_string(
            "courses/_course_page_body.html",
            {
                **course_detail(course=course, teacher=teacher, user=request.user),
                "page": course,
                "self": course,
                "catalogue_url": course.get_parent().get_url(request),
                "csrf_token": pagecache.csrf_slot(),
            },
        )

    body = pagecache.fragment(
        # The host: the catalogue link may name the site it is on.
        ("course", course.pk, teacher.pk, request.get_host()),
        [*pagecache.teacher_pages_dependencies(teacher), f"course:{course.pk}"],
        compute,
    )
    return mark_safe(pagecache.with_csrf(request, body))  # noqa: S308


def course_credit_kind(course: CoursePage) -> str:
    """The ledger's learning kind for a course's completion."""
    return "online_course" if course.mode == CourseMode.ONLINE else "offline_training"


def course_achievement_facts(*, course: CoursePage) -> dict:
    """What a credential for completing this course says about it."""
    rules = []
    if course.require_lessons:
        rules.append(_("学完全部课时"))
    if course.require_quiz:
        rules.append(_("课程测验达到 %(p)d%%") % {"p": course.quiz_pass_percent})
    if course.require_assignment:
        rules.append(_("作业经培训者按量规评定合格"))
    if course.min_sessions:
        rules.append(_("线下或直播出勤 %(n)d 次") % {"n": course.min_sessions})
    return {
        "name": course.title,
        "description": course.summary or course.title,
        "criteria": _("完成课程“%(t)s”（%(h)s 学时）：%(r)s。")
        % {"t": course.title, "h": course.hours, "r": "；".join(rules)},
        "hours": course.hours,
        "indicator_ids": list(course.indicators.values_list("pk", flat=True)),
    }
