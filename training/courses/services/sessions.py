"""Sessions (offline or live): registration and check-in."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.accounts.models import TeacherProfile
from cms.shared import attendance
from cms.shared.errors import ApplicationError as NotAllowed

from ..models import (
    CourseSession,
    Enrolment,
    SessionRegistration,
)
from .completion import completion_check

CHECK_IN_MAX_FAILURES = attendance.MAX_FAILURES


def session_register(
    *, session: CourseSession, teacher: TeacherProfile
) -> SessionRegistration:
    if not Enrolment.objects.filter(
        course_id=session.course_id, teacher=teacher
    ).exists():
        raise NotAllowed(_("请先报名这门课程。"))
    existing = SessionRegistration.objects.filter(
        session=session, teacher=teacher
    ).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        CourseSession.objects.select_for_update().only("pk").get(pk=session.pk)
        if session.capacity is not None and (
            SessionRegistration.objects.filter(session=session).count()
            >= session.capacity
        ):
            raise NotAllowed(_("该场次名额已满。"))
        registration, _created = SessionRegistration.objects.get_or_create(
            session=session, teacher=teacher
        )
    return registration


def session_check_in(
    *, session: CourseSession, teacher: TeacherProfile, code: str
) -> SessionRegistration:
    """Check in with the code on the trainer's screen, in the hour before the
    session up to two hours after it ends. Attendance counts once."""
    now = timezone.now()
    attendance.code_verify(
        event=f"course-session:{session.pk}",
        person_id=teacher.pk,
        expected=session.code,
        given=code,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        now=now,
    )
    registration = session_register(session=session, teacher=teacher)
    with transaction.atomic():
        updated = SessionRegistration.objects.filter(
            pk=registration.pk, checked_in_at__isnull=True
        ).update(checked_in_at=now)
        if updated:
            enrolment = Enrolment.objects.get(
                course_id=session.course_id, teacher=teacher
            )
            Enrolment.objects.filter(pk=enrolment.pk).update(
                sessions_attended=F("sessions_attended") + 1
            )
            enrolment.refresh_from_db(fields=["sessions_attended"])
            completion_check(enrolment=enrolment)
    registration.refresh_from_db()
    return registration
