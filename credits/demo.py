"""Demo ledger: a few records for each demo teacher in the current cycle."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from cms.accounts.models import TeacherProfile

from .models import CreditRecord
from .services import credit_record_append

ACTIVITIES = [
    ("online_course", "信息技术应用", "training.course", "人工智能助力课堂教学", 12),
    ("online_course", "学科", "training.course", "大单元教学设计与实施", 16),
    ("offline_training", "思政师德", "training.session", "新时代师德师风专题培训", 8),
    ("studio_activity", "学科", "studio.activity", "名师工作室集体备课：作业设计", 4),
    ("school_based", "通识", "school.training", "校本研修：课堂观察与评议", 6),
    ("online_course", "心理健康", "training.course", "中小学生心理健康教育实务", 10),
    ("online_course", "信息技术应用", "training.course", "国家智慧教育平台资源应用", 8),
]


def seed_credits() -> str:
    if CreditRecord.objects.filter(idempotency_key__startswith="demo:").exists():
        return "学分记录已存在，未做改动。"
    rng = random.Random(11)
    teachers = list(
        TeacherProfile.objects.filter(staff_number__regex=r"^(DH|XS)\d+$")
        .select_related("school")
        .order_by("staff_number")
    )
    count = 0
    today = datetime.date.today()
    for teacher in teachers:
        for index in rng.sample(range(len(ACTIVITIES)), k=rng.randint(2, 5)):
            kind, category, source_type, title, hours = ACTIVITIES[index]
            earned = today - datetime.timedelta(days=rng.randint(5, 300))
            earned = max(earned, datetime.date(today.year, 1, 1))
            credit_record_append(
                teacher=teacher,
                kind=kind,
                category=category,
                source_type=source_type,
                source_id=str(index),
                source_title=title,
                hours=Decimal(hours),
                earned_on=earned,
                idempotency_key=f"demo:{teacher.staff_number}:{index}",
            )
            count += 1
    return f"学分记录新增 {count} 条。"
