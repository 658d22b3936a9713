"""Completion: the course's rule, and the hand-off to the credit bank."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Enrolment, LessonProgress


def completion_missing(
    *, enrolment: Enrolment, lesson_count: int | None = None
) -> list[str]:
    """What still stands between the teacher and completing the course."""
    course = enrolment.course
    missing = []
    if course.require_lessons:
        total = lesson_count if lesson_count is not None else course.lessons.count()
        if enrolment.lessons_done < total:
            missing.append(
                _("学完全部课时（已学 %(d)d/%(t)d）")
                % {"d": enrolment.lessons_done, "t": total}
            )
    if course.require_quiz and not enrolment.quiz_passed:
        missing.append(_("通过课程测验"))
    if course.require_assignment and not enrolment.assignment_passed:
        missing.append(_("作业评定合格"))
    if course.min_sessions and enrolment.sessions_attended < course.min_sessions:
        missing.append(
            _("线下或直播出勤 %(n)d 次（已出勤 %(d)d 次）")
            % {"n": course.min_sessions, "d": enrolment.sessions_attended}
        )
    return missing


COMPLETION_FLAGS = (
    "lessons_done",
    "quiz_passed",
    "assignment_passed",
    "sessions_attended",
)


def completion_check(*, enrolment: Enrolment) -> bool:
    """Complete the enrolment when its course's rule is met: exactly once (a
    conditional update), and credited in the same transaction under a key
    made of course and teacher, so no retry credits twice.

    The rule is read from the enrolment row locked here, not from the copy
    the caller loaded: when the last two requirements are met at the same
    moment (a lesson and a check-in), the second check sees the first. The
    lessons count is taken from the lessons she finished that the course
    still has, so a lesson the author removed neither blocks nor helps."""
    if enrolment.status == Enrolment.Status.COMPLETED:
        return False
    with transaction.atomic():
        locked = (
            Enrolment.objects.select_for_update(of=("self",))
            .select_related("course")
            .get(pk=enrolment.pk)
        )
        if locked.status != Enrolment.Status.ENROLLED:
            return False
        done = LessonProgress.objects.filter(
            enrolment=locked,
            completed_at__isnull=False,
            lesson__course_id=locked.course_id,
        ).count()
        if done != locked.lessons_done:
            Enrolment.objects.filter(pk=locked.pk).update(lessons_done=done)
            locked.lessons_done = done
        for name in COMPLETION_FLAGS:
            setattr(enrolment, name, getattr(locked, name))
        if completion_missing(enrolment=locked):
            return False
        now = timezone.now()
        Enrolment.objects.filter(pk=locked.pk).update(
            status=Enrolment.Status.COMPLETED, completed_at=now
        )
        record = completion_credit(enrolment=locked, on=timezone.localdate(now))
        Enrolment.objects.filter(pk=locked.pk).update(credit_record_id=record.pk)
    enrolment.status, enrolment.completed_at = Enrolment.Status.COMPLETED, now
    enrolment.credit_record_id = record.pk
    return True


def course_completions_recheck(*, course_id: int) -> int:
    """After an author changes a course (a lesson removed, a rule relaxed),
    complete the enrolments that now meet its rule. Returns how many."""
    completed = 0
    pending = Enrolment.objects.filter(
        course_id=course_id, status=Enrolment.Status.ENROLLED
    ).select_related("course", "teacher")
    for enrolment in pending.iterator(chunk_size=500):
        completed += completion_check(enrolment=enrolment)
    return completed


def completion_credit(*, enrolment: Enrolment, on: datetime.date):
    from credits.data import SourceKind, course_completion_key
    from credits.services import credit_record_append

    from ..selectors import course_credit_kind

    course = enrolment.course
    kind = course_credit_kind(course)
    return credit_record_append(
        teacher=enrolment.teacher,
        kind=kind,
        category=course.category,
        source_type=SourceKind.COURSE,
        source_id=str(course.pk),
        source_title=course.title,
        hours=course.hours,
        earned_on=on,
        idempotency_key=course_completion_key(
            course_id=course.pk, teacher_id=enrolment.teacher_id
        ),
    )
