"""Learning: enrolment, lessons (text, documents, video playback) and the quiz."""

from __future__ import annotations

import datetime
import math

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.accounts.models import TeacherProfile
from cms.shared.errors import ApplicationError as NotAllowed

from ..models import (
    CourseLesson,
    CoursePage,
    Enrolment,
    LessonKind,
    LessonProgress,
    QuizAttempt,
)
from .completion import completion_check

# A video report may move the watched point on by at most this factor of the
# time since the previous report (plus slack): seeking ahead does not count.
PLAYBACK_ALLOWANCE = 1.5
PLAYBACK_SLACK_SECONDS = 15


def enrolment_open_reason(*, course: CoursePage, on: datetime.date) -> str:
    """Why a course cannot be joined today, or "" when it can."""
    if course.enrol_opens and on < course.enrol_opens:
        return _("报名尚未开始（%(d)s 开始）。") % {"d": course.enrol_opens}
    if course.enrol_closes and on > course.enrol_closes:
        return _("报名已截止（%(d)s 截止）。") % {"d": course.enrol_closes}
    return ""


def course_enrol(*, course: CoursePage, teacher: TeacherProfile) -> Enrolment:
    """Enrol a teacher (a second click returns the same enrolment); the window
    and the number of places are checked under a lock on the course row."""
    existing = Enrolment.objects.filter(course=course, teacher=teacher).first()
    if existing is not None:
        return existing
    reason = enrolment_open_reason(course=course, on=timezone.localdate())
    if reason:
        raise NotAllowed(reason)
    with transaction.atomic():
        CoursePage.objects.select_for_update().only("pk").get(pk=course.pk)
        existing = Enrolment.objects.filter(course=course, teacher=teacher).first()
        if existing is not None:
            return existing
        if course.capacity is not None:
            if Enrolment.objects.filter(course=course).count() >= course.capacity:
                raise NotAllowed(_("名额已满。"))
        return Enrolment.objects.create(course=course, teacher=teacher)


# Lessons


def _progress(
    enrolment: Enrolment, lesson: CourseLesson, *, lock: bool = False
) -> LessonProgress:
    """Her progress on the lesson, made if missing; with `lock`, its row is
    locked until the transaction ends (one query for both)."""
    if lesson.course_id != enrolment.course_id:
        raise NotAllowed(_("该课时不属于这门课程。"))
    rows = (
        LessonProgress.objects.select_for_update() if lock else LessonProgress.objects
    )
    progress, _created = rows.get_or_create(enrolment=enrolment, lesson=lesson)
    # Already in hand: saving the progress need not read the enrolment again
    # (the page cache asks which course it belongs to).
    progress.enrolment = enrolment
    return progress


def _mark_lesson_done(enrolment: Enrolment, progress: LessonProgress) -> None:
    updated = LessonProgress.objects.filter(
        pk=progress.pk, completed_at__isnull=True
    ).update(completed_at=timezone.now())
    if updated:
        Enrolment.objects.filter(pk=enrolment.pk).update(
            lessons_done=F("lessons_done") + 1
        )
        enrolment.refresh_from_db(fields=["lessons_done"])
        completion_check(enrolment=enrolment)


def lesson_complete(*, enrolment: Enrolment, lesson: CourseLesson) -> LessonProgress:
    """A text or document lesson marked as learnt. Video lessons complete only
    by watching (see `video_progress_report`)."""
    if lesson.kind == LessonKind.VIDEO:
        raise NotAllowed(
            _("视频课时须观看到 %(p)d%% 才算学完。")
            % {"p": enrolment.course.video_threshold}
        )
    with transaction.atomic():
        progress = _progress(enrolment, lesson)
        _mark_lesson_done(enrolment, progress)
    progress.refresh_from_db()
    return progress


def video_progress_report(
    *, enrolment: Enrolment, lesson: CourseLesson, position: float
) -> LessonProgress:
    """The player reports where it is. The watched point moves on only as fast
    as real playback could have taken it, so jumping to the end counts for
    nothing; past the course's threshold the lesson is complete."""
    if lesson.kind != LessonKind.VIDEO or not lesson.duration_seconds:
        raise NotAllowed(_("这不是视频课时。"))
    if not math.isfinite(position):
        raise NotAllowed(_("播放位置无效。"))
    now = timezone.now()
    with transaction.atomic():
        progress = _progress(enrolment, lesson, lock=True)
        position = max(0, min(int(position), lesson.duration_seconds))
        if progress.last_report_at is None:
            reachable = PLAYBACK_SLACK_SECONDS
        else:
            elapsed = (now - progress.last_report_at).total_seconds()
            reachable = (
                progress.watched_seconds
                + elapsed * PLAYBACK_ALLOWANCE
                + PLAYBACK_SLACK_SECONDS
            )
        if position <= reachable:
            progress.watched_seconds = max(progress.watched_seconds, position)
        progress.last_report_at = now
        progress.save(update_fields=["watched_seconds", "last_report_at"])
        threshold = lesson.duration_seconds * enrolment.course.video_threshold / 100
        if progress.completed_at is None and progress.watched_seconds >= threshold:
            _mark_lesson_done(enrolment, progress)
            progress.refresh_from_db()
    return progress


# Quiz


def quiz_submit(*, enrolment: Enrolment, answers: dict[int, set[str]]) -> QuizAttempt:
    """Mark a quiz: a question scores its points when the chosen letters are
    exactly the correct ones. Every question must be answered."""
    questions = list(enrolment.course.questions.all())
    if not questions:
        raise NotAllowed(_("这门课程没有测验。"))
    missing = [i for i, q in enumerate(questions, 1) if not answers.get(q.pk)]
    if missing:
        raise NotAllowed(
            _("还有题目未作答：第 %(n)s 题。") % {"n": "、".join(map(str, missing))}
        )
    score = sum(q.points for q in questions if answers[q.pk] == q.answer_letters)
    max_score = sum(q.points for q in questions)
    passed = score * 100 >= max_score * enrolment.course.quiz_pass_percent
    with transaction.atomic():
        attempt = QuizAttempt.objects.create(
            enrolment=enrolment,
            answers={str(q.pk): "".join(sorted(answers[q.pk])) for q in questions},
            score=score,
            max_score=max_score,
            passed=passed,
        )
        if passed and not enrolment.quiz_passed:
            Enrolment.objects.filter(pk=enrolment.pk).update(quiz_passed=True)
            enrolment.quiz_passed = True
            completion_check(enrolment=enrolment)
    return attempt
