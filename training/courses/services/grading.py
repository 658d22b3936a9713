"""Assignments and grading: hand-in, the rubric, grades and returns, each change
kept in the audit trail."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.shared.errors import ApplicationError as NotAllowed

from ..models import (
    CoursePage,
    Enrolment,
    GradeChange,
    Submission,
)
from .completion import completion_check


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
