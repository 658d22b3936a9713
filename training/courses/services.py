"""Writes for the catalogue: enrolment, progress, quizzes, assignments and
grading, sessions and check-in, campaigns, and the completion hand-off to the
credit bank."""

from __future__ import annotations

import datetime
import logging
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.accounts.models import TeacherProfile
from cms.shared import attendance, pagecache
from cms.shared.errors import ApplicationError

from .models import (
    CAMPAIGN_STALE_AFTER,
    Campaign,
    CourseLesson,
    CoursePage,
    CourseSession,
    Enrolment,
    GradeChange,
    LessonKind,
    LessonProgress,
    QuizAttempt,
    SessionRegistration,
    Submission,
)

log = logging.getLogger(__name__)

CHECK_IN_MAX_FAILURES = attendance.MAX_FAILURES
# A video report may move the watched point on by at most this factor of the
# time since the previous report (plus slack): seeking ahead does not count.
PLAYBACK_ALLOWANCE = 1.5
PLAYBACK_SLACK_SECONDS = 15
CAMPAIGN_BATCH = 1000


# The refusal services raise; the one application error under its old name.
NotAllowed = ApplicationError


def catalogue_ensure():
    """The catalogue index under the home page."""
    from wagtail.models import Site

    from .models import CatalogueIndexPage

    index = CatalogueIndexPage.objects.first()
    if index is None:
        home = Site.objects.get(is_default_site=True).root_page
        index = home.add_child(
            instance=CatalogueIndexPage(
                title="课程目录",
                slug="courses",
                intro="对标《教师数字素养》（JY/T 0646—2022）的研修课程。",
            )
        )
    return index


# Enrolment


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


def _progress(enrolment: Enrolment, lesson: CourseLesson) -> LessonProgress:
    if lesson.course_id != enrolment.course_id:
        raise NotAllowed(_("该课时不属于这门课程。"))
    progress, _created = LessonProgress.objects.get_or_create(
        enrolment=enrolment, lesson=lesson
    )
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
        progress = _progress(enrolment, lesson)
        progress = LessonProgress.objects.select_for_update().get(pk=progress.pk)
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


# Assignments and grading


def assignment_submit(*, enrolment: Enrolment, text: str, upload=None) -> Submission:
    """Hand in (or, after it was returned, hand in again) the assignment.
    Uploads are checked by the caller's form (type, size, content)."""
    text = (text or "").strip()
    if not text and upload is None:
        raise NotAllowed(_("请填写作业内容或上传附件。"))
    if not enrolment.course.require_assignment:
        raise NotAllowed(_("这门课程没有作业。"))
    with transaction.atomic():
        # The enrolment row is the lock: a double click on a first hand-in
        # waits here and then finds the submission the first click made.
        Enrolment.objects.select_for_update().only("pk").get(pk=enrolment.pk)
        submission = Submission.objects.filter(enrolment=enrolment).first()
        if submission is None:
            submission = Submission(enrolment=enrolment)
        elif submission.status == Submission.Status.GRADED:
            raise NotAllowed(_("作业已评分，不能再修改。"))
        elif submission.status == Submission.Status.RETURNED:
            submission.revision += 1
        submission.text = text[:20000]
        if upload is not None:
            submission.file = upload
            submission.file_name = upload.name[:200]
        submission.status = Submission.Status.SUBMITTED
        submission.submitted_at = timezone.now()
        submission.save()
    return submission


def may_grade(user, course: CoursePage) -> bool:
    from cms.accounts.scoping import is_platform_admin

    if is_platform_admin(user):
        return True
    return course.trainers.filter(pk=user.pk).exists()


def _own_work(user, enrolment: Enrolment) -> bool:
    """A trainer who also takes the course never grades her own work."""
    return enrolment.teacher.user_id == user.pk


def _grader_check(by, submission: Submission) -> None:
    if not may_grade(by, submission.enrolment.course):
        raise NotAllowed(_("你不是这门课程的培训者。"))
    if _own_work(by, submission.enrolment):
        raise NotAllowed(_("不能批改自己的作业，请由本课程的其他培训者批改。"))


def _record_change(submission, *, by, source, old_status, old_score, note=""):
    GradeChange.objects.create(
        submission=submission,
        changed_by=by,
        source=source,
        old_status=old_status,
        new_status=submission.status,
        old_score=old_score,
        new_score=submission.score,
        note=note[:200],
    )


def rubric_total(*, rubric, criterion_scores: dict) -> tuple[Decimal, bool, dict]:
    """Check and add up scores per criterion. Returns (total, passed, the
    scores keyed by criterion id as text)."""
    criteria = list(rubric.criteria.all())
    clean: dict[str, str] = {}
    total = Decimal(0)
    for criterion in criteria:
        raw = criterion_scores.get(
            criterion.pk, criterion_scores.get(str(criterion.pk))
        )
        try:
            value = Decimal(str(raw)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        except (InvalidOperation, TypeError, ValueError):
            raise NotAllowed(_("请为“%(c)s”打分。") % {"c": criterion.title}) from None
        if value < 0 or value > criterion.max_points:
            raise NotAllowed(
                _("“%(c)s”的分数须在 0 到 %(m)d 之间。")
                % {"c": criterion.title, "m": criterion.max_points}
            )
        clean[str(criterion.pk)] = str(value)
        total += value
    maximum = sum(c.max_points for c in criteria)
    passed = bool(maximum) and total * 100 >= maximum * rubric.pass_percent
    return total, passed, clean


def submission_grade(
    *, submission: Submission, by, criterion_scores: dict, feedback: str = ""
) -> Submission:
    """Grade with the course's rubric. Regrading is allowed; each change is
    kept in the audit trail. A pass counts towards completion."""
    course = submission.enrolment.course
    _grader_check(by, submission)
    if course.rubric is None:
        raise NotAllowed(_("这门课程没有设置评分量规。"))
    total, passed, clean = rubric_total(
        rubric=course.rubric, criterion_scores=criterion_scores
    )
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        old_status, old_score = locked.status, locked.score
        locked.score, locked.passed = total, passed
        locked.criterion_scores = clean
        locked.feedback = (feedback or "").strip()[:5000]
        locked.status = Submission.Status.GRADED
        locked.graded_by, locked.graded_at = by, timezone.now()
        locked.save()
        _record_change(
            locked,
            by=by,
            source=GradeChange.Source.RUBRIC,
            old_status=old_status,
            old_score=old_score,
        )
        _assignment_result(locked.enrolment, passed)
    return locked


def submission_return(*, submission: Submission, by, feedback: str) -> Submission:
    """Send the work back for revision, with what to change."""
    _grader_check(by, submission)
    feedback = (feedback or "").strip()
    if not feedback:
        raise NotAllowed(_("退回修改时请写明修改意见。"))
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.enrolment.status == Enrolment.Status.COMPLETED:
            raise NotAllowed(_("学员已结业，不能再退回。"))
        old_status, old_score = locked.status, locked.score
        locked.status = Submission.Status.RETURNED
        locked.feedback = feedback[:5000]
        locked.graded_by, locked.graded_at = by, timezone.now()
        locked.save()
        _record_change(
            locked,
            by=by,
            source=GradeChange.Source.RETURN,
            old_status=old_status,
            old_score=old_score,
        )
        _assignment_result(locked.enrolment, False)
    return locked


def _assignment_result(enrolment: Enrolment, passed: bool) -> None:
    """Keep the enrolment's assignment flag in step. A completion already
    recorded stands (the credit is in the ledger); a lowered grade after it
    shows in the audit trail."""
    if enrolment.status == Enrolment.Status.COMPLETED:
        return
    Enrolment.objects.filter(pk=enrolment.pk).update(assignment_passed=passed)
    enrolment.assignment_passed = passed
    if passed:
        completion_check(enrolment=enrolment)


# Offline scores


@dataclass
class ScoreImport:
    errors: list[dict] = field(default_factory=list)
    applied: int = 0

    def add_error(self, row: int, message: str) -> None:
        self.errors.append({"row": row, "message": message})


SCORE_HEADERS = {
    "工号": "staff_number",
    "课程编号": "course",
    "成绩": "score",
    "是否合格": "passed",
    "评语": "feedback",
    "staff number": "staff_number",
    "course id": "course",
    "score": "score",
    "passed": "passed",
    "feedback": "feedback",
}
PASS_WORDS = {
    "合格": True,
    "通过": True,
    "是": True,
    "pass": True,
    "yes": True,
    "不合格": False,
    "未通过": False,
    "否": False,
    "fail": False,
    "no": False,
}


def scores_import(*, by, name: str, data: bytes) -> ScoreImport:
    """Offline scores from a spreadsheet (工号, 课程编号, 成绩, 是否合格, 评语).
    Every row is checked first; one bad row rejects the file and nothing is
    written. Applied rows grade the teacher's submission for the course (made
    when she has none), each change kept in the audit trail."""
    from cms.shared.tables import TableError, table_read

    result = ScoreImport()
    try:
        rows = table_read(
            name=name,
            data=data,
            headers=SCORE_HEADERS,
            required={"staff_number": "工号", "course": "课程编号", "score": "成绩"},
        )
    except TableError as exc:
        result.add_error(0, str(exc))
        return result
    staff = {r.get("staff_number", "") for _n, r in rows}
    course_ids = {r.get("course", "") for _n, r in rows}
    teachers = {
        t.staff_number: t for t in TeacherProfile.objects.filter(staff_number__in=staff)
    }
    courses = {
        str(c.pk): c
        for c in CoursePage.objects.filter(
            pk__in=[c for c in course_ids if c.isascii() and c.isdecimal()]
        ).select_related("rubric")
    }
    allowed = {pk for pk, c in courses.items() if may_grade(by, c)}
    enrolments = {
        (e.teacher_id, e.course_id): e
        for e in Enrolment.objects.filter(
            teacher__in=teachers.values(), course_id__in=[int(c) for c in courses]
        ).select_related("course", "teacher")
    }
    seen: set[tuple[str, str]] = set()
    plan = []
    for number, row in rows:
        code, course_id = row.get("staff_number", ""), row.get("course", "")
        teacher, course = teachers.get(code), courses.get(course_id)
        if teacher is None:
            result.add_error(number, _("工号“%(s)s”不存在。") % {"s": code})
            continue
        if course is None:
            result.add_error(number, _("课程编号“%(c)s”不存在。") % {"c": course_id})
            continue
        if course_id not in allowed:
            result.add_error(
                number, _("你不是课程“%(t)s”的培训者。") % {"t": course.title}
            )
            continue
        if (code, course_id) in seen:
            result.add_error(number, _("与前面的行重复（同一教师同一课程）。"))
            continue
        seen.add((code, course_id))
        enrolment = enrolments.get((teacher.pk, course.pk))
        if enrolment is None:
            result.add_error(
                number, _("%(n)s 没有选修该课程。") % {"n": teacher.real_name}
            )
            continue
        if _own_work(by, enrolment):
            result.add_error(number, _("不能为自己录入成绩。"))
            continue
        try:
            score = Decimal(row.get("score", "")).quantize(Decimal("0.1"))
            if not score.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            result.add_error(
                number, _("成绩“%(s)s”不是数字。") % {"s": row.get("score", "")}
            )
            continue
        maximum = course.rubric.max_points if course.rubric else 100
        if score < 0 or score > maximum:
            result.add_error(number, _("成绩须在 0 到 %(m)d 之间。") % {"m": maximum})
            continue
        passed_text = row.get("passed", "").strip().lower()
        if passed_text:
            if passed_text not in PASS_WORDS:
                result.add_error(number, _("“是否合格”只能填 合格 或 不合格。"))
                continue
            passed = PASS_WORDS[passed_text]
        else:
            percent = course.rubric.pass_percent if course.rubric else 60
            passed = score * 100 >= maximum * percent
        plan.append((enrolment, score, passed, row.get("feedback", "")))
    if result.errors:
        return result
    with transaction.atomic():
        for enrolment, score, passed, feedback in plan:
            submission, _created = Submission.objects.select_for_update().get_or_create(
                enrolment=enrolment,
                defaults={"offline": True, "status": Submission.Status.SUBMITTED},
            )
            old_status, old_score = (
                ("" if _created else submission.status),
                submission.score,
            )
            submission.score, submission.passed = score, passed
            submission.status = Submission.Status.GRADED
            if feedback:
                submission.feedback = feedback[:5000]
            submission.graded_by, submission.graded_at = by, timezone.now()
            submission.save()
            _record_change(
                submission,
                by=by,
                source=GradeChange.Source.IMPORT,
                old_status=old_status,
                old_score=old_score,
                note=name,
            )
            _assignment_result(enrolment, passed)
            result.applied += 1
    return result


# Sessions


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


# Completion


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

    from .selectors import course_credit_kind

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


# Campaigns


def campaign_create(*, by, title: str, organisation, courses) -> Campaign:
    from cms.accounts.scoping import organisations_visible_to

    if not organisations_visible_to(by).filter(pk=organisation.pk).exists():
        raise NotAllowed(_("只能为本单位及下属单位发起研修项目。"))
    courses = list(courses)
    if not courses:
        raise NotAllowed(_("请至少选择一门课程。"))
    with transaction.atomic():
        campaign = Campaign.objects.create(
            title=title.strip()[:120], organisation=organisation, created_by=by
        )
        campaign.courses.set(courses)
        from cms.shared import jobs

        jobs.job_send(jobs.CAMPAIGN, campaign.pk)
    campaign.refresh_from_db()
    return campaign


def campaign_run(*, campaign_id: int) -> Campaign:
    """Enrol every teacher under the organisation in every course of the
    campaign, in batches, counting progress as it goes. Safe to run again
    (or twice at once): an existing enrolment is left as it is, so nobody is
    enrolled twice. Campaigns place teachers regardless of windows and
    capacity: the organisation decided."""
    claimable = Q(status__in=[Campaign.Status.QUEUED, Campaign.Status.FAILED]) | Q(
        status=Campaign.Status.RUNNING,
        heartbeat_at__lt=timezone.now() - CAMPAIGN_STALE_AFTER,
    )
    claimed = Campaign.objects.filter(claimable, pk=campaign_id).update(
        status=Campaign.Status.RUNNING,
        processed=0,
        error="",
        heartbeat_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    campaign = Campaign.objects.get(pk=campaign_id)
    if not claimed:  # done already, or another worker is on it
        return campaign
    teachers = TeacherProfile.objects.filter(
        school__path__startswith=campaign.organisation.path
    ).order_by("pk")
    course_ids = list(campaign.courses.values_list("pk", flat=True))
    total = teachers.count()
    Campaign.objects.filter(pk=campaign.pk).update(total=total)
    last_pk = 0
    try:
        while True:
            batch = list(
                teachers.filter(pk__gt=last_pk).values_list("pk", flat=True)[
                    :CAMPAIGN_BATCH
                ]
            )
            if not batch:
                break
            last_pk = batch[-1]
            with transaction.atomic():
                before = Enrolment.objects.filter(
                    teacher_id__in=batch, course_id__in=course_ids
                ).count()
                Enrolment.objects.bulk_create(
                    [
                        Enrolment(course_id=c, teacher_id=t, campaign=campaign)
                        for t in batch
                        for c in course_ids
                    ],
                    ignore_conflicts=True,
                )
                after = Enrolment.objects.filter(
                    teacher_id__in=batch, course_id__in=course_ids
                ).count()
                for course_id in course_ids:  # bulk_create sends no signal
                    transaction.on_commit(
                        lambda c=course_id: pagecache.course_changed(c)
                    )
                Campaign.objects.filter(pk=campaign.pk).update(
                    processed=F("processed") + len(batch),
                    enrolled=F("enrolled") + (after - before),
                    heartbeat_at=timezone.now(),
                )
    except Exception:
        log.exception("campaign %s failed", campaign_id)
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.FAILED,
            error=_("报名中断，可重新运行，已报名的不会重复。"),
        )
        raise
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.DONE, processed=total, finished_at=timezone.now()
    )
    campaign.refresh_from_db()
    return campaign


def campaign_restart(*, campaign: Campaign, by) -> Campaign:
    """Run a campaign again (after a failure, or to pick up teachers who
    joined the organisation since): existing enrolments are kept as they are."""
    from cms.accounts.scoping import organisations_visible_to

    if not organisations_visible_to(by).filter(pk=campaign.organisation_id).exists():
        raise NotAllowed(_("无权操作该研修项目。"))
    if campaign.status == Campaign.Status.QUEUED or (
        campaign.status == Campaign.Status.RUNNING and not campaign.stalled
    ):
        raise NotAllowed(_("该研修项目正在报名中，请等待完成。"))
    from cms.shared import jobs

    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.QUEUED,
            error="",
            attempts=0,
            heartbeat_at=timezone.now(),
        )
        jobs.job_send(jobs.CAMPAIGN, campaign.pk)
    campaign.refresh_from_db()
    return campaign
