"""The trainer's home and check-in screens: her courses with what waits for a
grade, the sessions coming up, a session's attendance."""

from __future__ import annotations

from django.db.models import Count, Q

from ..models import (
    CoursePage,
    CourseSession,
    SessionRegistration,
    Submission,
)


def live_courses_with_trainer(trainer):
    """Live courses that `trainer` trains (a user, or an OuterRef to one in
    a subquery)."""
    return CoursePage.objects.live().filter(trainers=trainer)


def trained_by(user) -> list[CoursePage]:
    """Her live courses as a trainer, each with `waiting`: the online
    submissions waiting for a grade."""
    return list(
        CoursePage.objects.live()
        .filter(trainers=user)
        .annotate(
            waiting=Count(
                "enrolments__submission",
                filter=Q(
                    enrolments__submission__status=Submission.Status.SUBMITTED,
                    enrolments__submission__offline=False,
                ),
            )
        )
        .order_by("title")
    )


def sessions_soon(*, courses, now) -> list[CourseSession]:
    """The next ten sessions of these courses (those that ended in the last
    12 hours included, up to 30 days ahead): the trainer's check-in screens."""
    import datetime

    return list(
        CourseSession.objects.filter(
            course__in=courses,
            ends_at__gte=now - datetime.timedelta(hours=12),
            starts_at__lte=now + datetime.timedelta(days=30),
        )
        .select_related("course")
        .order_by("starts_at")[:10]
    )


def session_attendance(*, session: CourseSession) -> list[SessionRegistration]:
    return list(
        session.registrations.select_related("teacher__school").order_by(
            "checked_in_at", "teacher__real_name"
        )
    )
