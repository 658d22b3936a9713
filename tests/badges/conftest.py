import datetime
from decimal import Decimal

import pytest

from badges import services
from badges.models import IssuedCredential
from credits.models import CreditRecord, CreditRuleSet
from credits.rules import DEFAULT_CONFIG
from credits.services import credit_record_append
from tests.factories import TeacherFactory

ACTIVITIES = [
    ("人工智能助力课堂教学", "信息技术应用", 12),
    ("新时代师德师风专题培训", "思政师德", 8),
    ("大单元教学设计与实施", "学科", 16),
]


@pytest.fixture
def rules(db):
    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "全国通用", "config": DEFAULT_CONFIG},
    )


def append(teacher, n, title="人工智能助力课堂教学", category="信息技术应用", hours=12):
    return credit_record_append(
        teacher=teacher,
        kind="online_course",
        category=category,
        source_type="training.course",
        source_id=str(n),
        source_title=title,
        hours=Decimal(hours),
        earned_on=datetime.date.today(),
        idempotency_key=f"test:{teacher.pk}:{n}",
    )


@pytest.fixture
def credited(rules, district_tree):
    """A teacher of school A1 with three ledger records, each with its credential."""
    teacher = district_tree["teachers"]["SA1"][0]
    teacher.real_name = "林晓"
    teacher.save()
    records = [append(teacher, n, *a) for n, a in enumerate(ACTIVITIES)]
    services.credentials_issue([r.pk for r in records])
    return teacher


def credential_of(teacher, title="人工智能助力课堂教学") -> IssuedCredential:
    record = CreditRecord.objects.get(
        teacher=teacher, source_title=title, reverses=None
    )
    return IssuedCredential.objects.get(record=record)


@pytest.fixture
def loose_teacher(rules):
    return TeacherFactory(real_name="周敏")
