"""Demo ledger: learning done outside the platform, recognised the way it is
in real use (the teacher asks with evidence, her district's HR approves), so
every demo record is written by the same service as a real one. Course
completions and studio attendance come from the courses and studios demos,
through their own services."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.core.files.base import ContentFile

from cms.accounts.models import TeacherProfile, User

from .data import CreditCategory
from .models import RecognitionRequest
from .services import recognition_decide, recognition_submit

# title, provider, category, hours
OUTSIDE_LEARNING = [
    ("新时代师德师风专题培训", "临江市教育局", CreditCategory.ETHICS, 8),
    ("校本研修：课堂观察与评议", "本校教研组", CreditCategory.GENERAL, 6),
    ("中小学生心理健康教育实务", "省教师发展中心", CreditCategory.MENTAL_HEALTH, 10),
    ("国家智慧教育平台资源应用", "国家智慧教育平台", CreditCategory.IT, 8),
    ("学科核心素养与大单元教学", "省教育科学研究院", CreditCategory.SUBJECT, 12),
]
EVIDENCE = b"%PDF-1.4\n% demo certificate\n%%EOF\n"


def seed_credits() -> str:
    if RecognitionRequest.objects.exists():
        return "学分认定记录已存在，未做改动。"
    rng = random.Random(11)
    reviewers = {
        prefix: User.objects.filter(email=f"hr.{prefix.lower()}@example.com").first()
        for prefix in ("DH", "XS")
    }
    teachers = list(
        TeacherProfile.objects.filter(staff_number__regex=r"^(DH|XS)\d+$")
        .select_related("school", "user")
        .order_by("staff_number")
    )
    count = 0
    today = datetime.date.today()
    for teacher in teachers:
        reviewer = reviewers.get(teacher.staff_number[:2])
        if reviewer is None:
            continue
        for index in rng.sample(range(len(OUTSIDE_LEARNING)), k=rng.randint(1, 3)):
            title, provider, category, hours = OUTSIDE_LEARNING[index]
            earned = today - datetime.timedelta(days=rng.randint(5, 300))
            earned = max(earned, datetime.date(today.year, 1, 1))
            request = recognition_submit(
                teacher=teacher,
                title=title,
                provider=provider,
                category=category,
                hours=Decimal(hours),
                earned_on=earned,
                evidence=ContentFile(EVIDENCE, name="certificate.pdf"),
            )
            recognition_decide(request_id=request.pk, reviewer=reviewer, approve=True)
            count += 1
    return f"学分认定（已审核通过）新增 {count} 条。"
