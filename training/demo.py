"""Demo content for the self-assessment: recommended resources and a term of
results for part of the demo district, so reports and HR views have data."""

from __future__ import annotations

import random

from django.db import transaction

from cms.accounts.models import TeacherProfile
from training.framework import FRAMEWORK_CODE

from . import services
from .models import AssessmentResult, Competency, LearningResource

# Curated reading that links out. Courses and studio activities are not
# curated here: the catalogue and the studios supply those, each one something
# she can open and enrol or register in (a curated entry without a link would
# lead nowhere and is never recommended).
NATIONAL_PLATFORM = "https://basic.smartedu.cn/teacherTraining"
RESOURCES = [
    (
        "resource",
        "数字化心理健康教育案例集",
        "国家中小学智慧教育平台",
        None,
        ["3.4.2", "3.4.1"],
    ),
    (
        "resource",
        "教学反思与成长档案模板",
        "国家中小学智慧教育平台",
        None,
        ["5.1.1", "5.1.2", "5.1.3"],
    ),
]
ASSESSED_SHARE = 0.6


@transaction.atomic
def seed_training() -> str:
    indicators = {
        c.code: c
        for c in Competency.objects.filter(framework__code=FRAMEWORK_CODE, level=3)
    }
    created = 0
    for kind, title, provider, hours, codes in RESOURCES:
        resource, made = LearningResource.objects.get_or_create(
            title=title,
            defaults={
                "kind": kind,
                "provider": provider,
                "hours": hours,
                "url": NATIONAL_PLATFORM,
            },
        )
        if made:
            resource.indicators.set([indicators[c] for c in codes])
            created += 1
    results = _seed_results()
    return f"推荐学习资源新增 {created} 项；自我测评结果新增 {results} 份。"


def _seed_results() -> int:
    """Results for 60% of the demo teachers, except the demo teacher herself
    (so the journey of taking it first is there to try)."""
    if AssessmentResult.objects.filter(teacher__staff_number__startswith="DH").exists():
        return 0
    if services.current_instrument_or_none() is None:
        return 0
    rng = random.Random(7)
    teachers = list(
        TeacherProfile.objects.filter(staff_number__regex=r"^(DH|XS)\d+$")
        .exclude(staff_number="DH01001")
        .order_by("staff_number")
    )
    count = 0
    for teacher in teachers:
        if rng.random() > ASSESSED_SHARE:
            continue
        attempt = services.attempt_start(teacher=teacher)
        base = rng.choice([2, 3, 3, 4])
        answers = {
            item_id: max(1, min(5, base + rng.choice([-1, 0, 0, 1])))
            for item_id in attempt.instrument.items.values_list("id", flat=True)
        }
        services.answers_save(attempt=attempt, answers=answers)
        services.attempt_submit(attempt=attempt)
        count += 1
    return count
