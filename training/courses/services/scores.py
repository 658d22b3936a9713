"""Offline scores imported from a spreadsheet."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.accounts.models import TeacherProfile

from ..models import (
    CoursePage,
    Enrolment,
    GradeChange,
    Submission,
)
from .grading import _assignment_result, _own_work, _record_change, may_grade


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
