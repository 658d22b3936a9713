"""Courses for tests: a published CoursePage with lessons, quiz questions,
sessions and a rubric as asked."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from training.courses.models import (
    CourseLesson,
    CoursePage,
    CourseSession,
    QuizQuestion,
    Rubric,
    RubricCriterion,
)
from training.courses.services import catalogue_ensure
from training.models import Competency

_counter = {"n": 0}


def make_rubric(*, criteria=((10, "3.1.1"), (10, "3.3.2")), pass_percent=60) -> Rubric:
    rubric = Rubric.objects.create(title="作业量规", pass_percent=pass_percent)
    for order, (points, code) in enumerate(criteria):
        RubricCriterion.objects.create(
            rubric=rubric,
            sort_order=order,
            title=f"维度{order + 1}",
            max_points=points,
            indicator=Competency.objects.filter(code=code).first(),
        )
    return rubric


def make_course(
    *,
    title: str = "",
    summary: str = "课程简介",
    lessons: int = 2,
    video: int = 0,
    questions=(),
    rubric: Rubric | None = None,
    sessions: int = 0,
    indicators=("3.3.2",),
    trainers=(),
    publish: bool = True,
    **fields,
) -> CoursePage:
    """`video` lessons come after the text ones, 100 s long each (their file
    is not needed by the services). `questions` are (options, answer) pairs."""
    _counter["n"] += 1
    n = _counter["n"]
    index = catalogue_ensure()
    fields.setdefault("hours", Decimal("6"))
    fields.setdefault("require_lessons", lessons + video > 0)
    if questions:
        fields.setdefault("require_quiz", True)
    if rubric is not None:
        fields.setdefault("require_assignment", True)
    if sessions:
        fields.setdefault("min_sessions", sessions)
    course = CoursePage(
        title=title or f"课程{n}",
        slug=f"test-course-{n}",
        summary=summary,
        rubric=rubric,
        live=publish,
        **fields,
    )
    for order in range(lessons):
        course.lessons.add(
            CourseLesson(sort_order=order, title=f"课时{order + 1}", kind="text")
        )
    for order in range(video):
        course.lessons.add(
            CourseLesson(
                sort_order=lessons + order,
                title=f"视频{order + 1}",
                kind="video",
                duration_seconds=100,
            )
        )
    for order, (options, answer) in enumerate(questions):
        course.questions.add(
            QuizQuestion(
                sort_order=order,
                prompt=f"第{order + 1}题",
                options=options,
                answer=answer,
            )
        )
    now = timezone.now()
    for order in range(sessions):
        course.sessions.add(
            CourseSession(
                sort_order=order,
                title=f"场次{order + 1}",
                starts_at=now,
                ends_at=now + datetime.timedelta(hours=2),
                place="报告厅",
            )
        )
    index.add_child(instance=course)
    course.indicators.set(
        Competency.objects.filter(framework__code="jyt0646-2022", code__in=indicators)
    )
    course.trainers.set(trainers)
    if publish:
        course.save_revision().publish()
    return CoursePage.objects.get(pk=course.pk)
