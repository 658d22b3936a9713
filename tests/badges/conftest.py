import pytest

from badges import services
from badges.models import IssuedCredential
from credits.models import CreditRecord
from tests.factories import TeacherFactory
from tests.factories.credits import ledger_record, national_rules

ACTIVITIES = [
    ("人工智能助力课堂教学", "信息技术应用", 12),
    ("新时代师德师风专题培训", "思政师德", 8),
    ("大单元教学设计与实施", "学科", 16),
]


@pytest.fixture
def rules(db):
    national_rules()


def append(teacher, n, title="人工智能助力课堂教学", category="信息技术应用", hours=12):
    return ledger_record(
        teacher=teacher,
        category=category,
        source_id=str(n),
        title=title,
        hours=hours,
        key=f"test:{teacher.pk}:{n}",
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
