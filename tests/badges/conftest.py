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


@pytest.fixture
def studios(credited, district_tree):
    """Two studios of district A. 林晓 (with her credentials) and a peer are
    members of the first; each studio has its own leader."""
    from cms.studios import services as studio_services
    from tests.factories.site import ensure_base_content

    ensure_base_content()
    school = district_tree["school_a1"]
    leader = TeacherFactory(school=school, real_name="张明")
    other_leader = TeacherFactory(school=school, real_name="王芳")
    studio = studio_services.studio_create(
        title="张明数学工作室",
        kind="名师",
        leader=leader.user,
        region=district_tree["dist_a"],
        subject="数学",
    )
    other = studio_services.studio_create(
        title="王芳语文工作室",
        kind="名师",
        leader=other_leader.user,
        region=district_tree["dist_a"],
        subject="语文",
    )
    peer = district_tree["teachers"]["SA1"][1]
    for teacher in (credited, peer):
        membership = studio_services.membership_apply(studio=studio, teacher=teacher)
        studio_services.membership_decide(
            membership=membership, by=leader.user, approve=True
        )
    return {
        "studio": studio,
        "leader": leader.user,
        "other_studio": other,
        "other_leader": other_leader.user,
        "member": credited,
        "peer": peer,
        "credential": credential_of(credited),
    }
