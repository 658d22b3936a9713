"""Demo content for the self-assessment: recommended resources and a term of
results for part of the demo district, so reports and HR views have data."""

from __future__ import annotations

import random

from django.db import transaction

from cms.accounts.models import TeacherProfile
from training.framework import FRAMEWORK_CODE

from . import services
from .models import AssessmentResult, Competency, LearningResource

RESOURCES = [
    (
        "course",
        "学情分析与数据驱动教学设计",
        "临江市教师发展中心",
        12,
        ["3.1.1", "3.3.2"],
    ),
    (
        "course",
        "国家中小学智慧教育平台资源的检索与二次开发",
        "临江市教师发展中心",
        8,
        ["3.1.2", "2.2.1"],
    ),
    (
        "course",
        "混合式学习环境的创设与课堂组织",
        "临江市教师发展中心",
        10,
        ["3.1.4", "3.2.1"],
    ),
    (
        "course",
        "课堂即时反馈工具与学业数据可视化",
        "东湖区教师进修学校",
        6,
        ["3.3.1", "3.3.3"],
    ),
    (
        "course",
        "人工智能与大数据的基本原理（教师版）",
        "江南省教育技术中心",
        8,
        ["2.1.1", "2.1.2"],
    ),
    (
        "course",
        "个人信息保护与教育数据安全",
        "江南省教育技术中心",
        4,
        ["4.2.1", "4.2.2", "4.2.3"],
    ),
    (
        "course",
        "网络素养与数字公民教育",
        "西山区教师进修学校",
        4,
        ["4.1.1", "4.1.2", "4.1.3"],
    ),
    (
        "activity",
        "名师工作室集体备课：用数据改进作业设计",
        "东湖区数学名师工作室",
        3,
        ["3.3.2", "5.2.1"],
    ),
    (
        "activity",
        "听评课：信息科技课堂中的个性化学习",
        "西山区信息科技名师工作室",
        3,
        ["3.2.3", "5.1.2"],
    ),
    (
        "activity",
        "网络研修：家校沟通中的数字工具",
        "东湖区班主任工作室",
        2,
        ["3.4.3", "3.4.1"],
    ),
    ("resource", "数字化心理健康教育案例集", "江南省教育技术中心", None, ["3.4.2"]),
    (
        "resource",
        "教学反思与成长档案模板",
        "临江市教师发展中心",
        None,
        ["5.1.1", "5.1.2", "5.1.3"],
    ),
    (
        "course",
        "数字化教学模式创新：项目式学习",
        "临江市教师发展中心",
        12,
        ["5.2.2", "3.1.3"],
    ),
    (
        "course",
        "数字时代的教师：机遇与挑战",
        "江南省教育技术中心",
        4,
        ["1.1.1", "1.1.2", "1.2.1", "1.2.2", "1.3.1"],
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
            title=title, defaults={"kind": kind, "provider": provider, "hours": hours}
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
