"""What a trainer grades: her courses, the submissions she may open, the
grading queue."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import QuerySet

from ..models import (
    CoursePage,
    Submission,
)
from ._common import PAGE_SIZE, _querystring


@dataclass(frozen=True)
class GradingFilters:
    """What the grading queue was asked for: a status (waiting by default),
    a course id and a page."""

    status: str = "submitted"
    course: str = ""
    page: str | None = None
    querystring: str = ""

    @classmethod
    def from_request(cls, request) -> GradingFilters:
        return cls(
            status=request.GET.get("status", Submission.Status.SUBMITTED),
            course=request.GET.get("course", ""),
            page=request.GET.get("page"),
            querystring=_querystring(request),
        )


def courses_graded_by(user) -> QuerySet[CoursePage]:
    from cms.accounts.scoping import is_platform_admin

    if is_platform_admin(user):
        return CoursePage.objects.all()
    return CoursePage.objects.filter(trainers=user)


def submissions_for_grader(user) -> QuerySet[Submission]:
    """Submissions a trainer may open: those of courses she grades, only."""
    return Submission.objects.filter(
        enrolment__course__in=courses_graded_by(user).values("pk")
    )


def grading_queue(*, user, filters: GradingFilters) -> dict:
    status = filters.status
    submissions = submissions_for_grader(user).exclude(offline=True)
    if status in Submission.Status.values:
        submissions = submissions.filter(status=status)
    course = filters.course
    if course.isascii() and course.isdecimal():
        submissions = submissions.filter(enrolment__course_id=int(course))
    page = Paginator(
        submissions.select_related(
            "enrolment__teacher__school", "enrolment__course"
        ).order_by("submitted_at", "pk"),
        PAGE_SIZE,
    ).get_page(filters.page)
    return {
        "page": page,
        "status": status,
        "statuses": Submission.Status.choices,
        "courses": courses_graded_by(user).order_by("title").values_list("pk", "title"),
        "course": course,
        "waiting": submissions_for_grader(user)
        .filter(status=Submission.Status.SUBMITTED)
        .count(),
        "querystring": filters.querystring,
    }
