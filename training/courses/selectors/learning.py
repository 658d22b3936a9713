"""A teacher's learning: "my learning", a lesson's progress and the next
lesson, her submission and check-in, her timeline events, and enrolments for
a scoped set of teachers (the API)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.accounts.models import TeacherProfile
from cms.shared import pagecache
from cms.shared.pageurls import share_site_root_paths

from ..models import (
    CourseLesson,
    Enrolment,
    LessonProgress,
    SessionRegistration,
    Submission,
)
from ._common import PAGE_SIZE, _querystring


@dataclass(frozen=True)
class LearningFilters:
    """What "my learning" was asked for: a status (or all) and a page."""

    status: str = ""
    page: str | None = None
    querystring: str = ""

    @classmethod
    def from_request(cls, request) -> LearningFilters:
        return cls(
            status=request.GET.get("status", ""),
            page=request.GET.get("page"),
            querystring=_querystring(request),
        )


def lesson_counts() -> Subquery:
    return Coalesce(
        Subquery(
            CourseLesson.objects.filter(course=OuterRef("course"))
            .order_by()
            .values("course")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def my_learning(*, teacher: TeacherProfile, filters: LearningFilters) -> dict:
    """Her enrolments, one page, with progress; the page adds the courses'
    URLs (`rows[i]["url"]`) and her upcoming sessions (`upcoming_sessions`)."""
    status = filters.status
    enrolments = Enrolment.objects.filter(teacher=teacher)
    counts = dict(enrolments.order_by().values_list("status").annotate(n=Count("pk")))
    if status in Enrolment.Status.values:
        enrolments = enrolments.filter(status=status)
    page = Paginator(
        enrolments.select_related("course")
        .annotate(lesson_total=lesson_counts())
        .order_by("status", "-enrolled_at"),
        PAGE_SIZE,
    ).get_page(filters.page)
    rows = []
    enrolments = list(page.object_list)
    # One look-up of the site root paths for all the links (a relative link
    # on a one-site install), not a Site query for the request's hostname.
    share_site_root_paths(e.course for e in enrolments)
    for enrolment in enrolments:
        total = enrolment.lesson_total
        rows.append(
            {
                "enrolment": enrolment,
                "course": enrolment.course,
                "percent": min(100, int(enrolment.lessons_done * 100 / total))
                if total
                else 0,
                "lesson_total": total,
            }
        )
    return {
        "page": page,
        "rows": rows,
        "status": status,
        "counts": {
            "all": sum(counts.values()),
            "enrolled": counts.get(Enrolment.Status.ENROLLED, 0),
            "completed": counts.get(Enrolment.Status.COMPLETED, 0),
        },
        "querystring": filters.querystring,
    }


UPCOMING_SHOWN = 5
# How many of her registrations not yet over are kept (see upcoming_sessions).
UPCOMING_KEPT = 100


def _registrations_not_over(teacher, now, limit) -> list[SessionRegistration]:
    return list(
        SessionRegistration.objects.filter(teacher=teacher, session__ends_at__gte=now)
        # The course's title only, not the whole page (and its body).
        .select_related("session")
        .annotate(course_title=F("session__course__title"))
        .order_by("session__starts_at", "pk")[:limit]
    )


def upcoming_sessions(*, teacher: TeacherProfile) -> list[SessionRegistration]:
    """Her next five sessions not yet over. Which those are changes with the
    time of day, but her registrations not yet over change only with her
    registrations and check-ins (her "teacher:<pk>" version) and with the
    sessions and course titles ("content"): those are kept, and the time is
    applied to them on every view."""
    now = timezone.now()
    kept = pagecache.cached(
        f"upcoming-sessions:{teacher.pk}",
        pagecache.teacher_pages_dependencies(teacher),
        lambda: _registrations_not_over(teacher, now, UPCOMING_KEPT),
    )
    shown = [r for r in kept if r.session.ends_at >= now][:UPCOMING_SHOWN]
    if len(shown) < UPCOMING_SHOWN and len(kept) == UPCOMING_KEPT:
        # More are registered than were kept: read them as they are now.
        shown = _registrations_not_over(teacher, now, UPCOMING_SHOWN)
    return shown


def learning_events(*, teacher, limit: int) -> list[dict]:
    """Her enrolments and completions, for the portrait's timeline."""
    events = []
    enrolments = list(
        Enrolment.objects.filter(teacher=teacher)
        .select_related("course")
        .order_by("-enrolled_at")[:limit]
    )
    share_site_root_paths(e.course for e in enrolments)
    for e in enrolments:
        url = e.course.url or ""
        events.append(
            {
                "when": e.enrolled_at,
                "kind": "course",
                "title": _("报名课程：%(t)s") % {"t": e.course.title},
                "detail": e.course.get_mode_display(),
                "url": url,
            }
        )
        if e.completed_at:
            events.append(
                {
                    "when": e.completed_at,
                    "kind": "course",
                    "title": _("结业：%(t)s") % {"t": e.course.title},
                    "detail": _("%(h)s 学时") % {"h": e.course.hours},
                    "url": url,
                }
            )
    return events


def enrolments_for_teachers(*, teachers) -> QuerySet[Enrolment]:
    """Enrolments of the given teachers (a scoped queryset)."""
    return Enrolment.objects.filter(teacher__in=teachers)


def lesson_following(lesson: CourseLesson) -> CourseLesson | None:
    """The course's next lesson after this one, if any."""
    return (
        CourseLesson.objects.filter(
            course_id=lesson.course_id, sort_order__gt=lesson.sort_order
        )
        .order_by("sort_order")
        .first()
    )


def lesson_progress(*, enrolment: Enrolment, lesson: CourseLesson):
    """Her progress in this lesson, or None before she opened it."""
    return LessonProgress.objects.filter(enrolment=enrolment, lesson=lesson).first()


def submission_of(enrolment: Enrolment) -> Submission | None:
    """Her assignment's submission, or None before she submitted."""
    return Submission.objects.filter(enrolment=enrolment).first()


def session_checked_in(*, session, teacher) -> SessionRegistration | None:
    """Her registration for the session if she has checked in, else None."""
    return SessionRegistration.objects.filter(
        session=session, teacher=teacher, checked_in_at__isnull=False
    ).first()


def courses_taken_among(*, teacher_id: int, course_ids) -> set[int]:
    """Which of these courses the teacher takes or took (any enrolment)."""
    if not course_ids:
        return set()
    return set(
        Enrolment.objects.filter(
            teacher_id=teacher_id, course_id__in=list(course_ids)
        ).values_list("course_id", flat=True)
    )
