"""Issue 17 item 6: one definition per figure, read from one place; the
驾驶舱 and the assessment overview agree, say how fresh they are, and follow
their inputs without waiting for the nightly recompute."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from credits.services import credit_record_append
from portfolios.compute import portraits_recompute
from tests.factories import TeacherFactory, hr_user
from tests.portfolios.conftest import assess

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(world):
    for _ in range(4):
        TeacherFactory(school=world["school_a1"])
    for teacher in world["school_a1"].teachers.all()[:3]:
        assess(teacher)
    portraits_recompute()
    return world


def assessed_on_both(client):
    overview = client.get(reverse("org_overview"))
    assessment = client.get(reverse("org_assessment"))
    return (
        overview.context["figures"]["assessed"],
        assessment.context["distribution"]["total"],
        overview.content.decode(),
        assessment.content.decode(),
    )


def test_the_two_pages_agree_and_follow_a_new_result(client, district):
    hr = hr_user(district["school_a1"])
    client.force_login(hr)
    cockpit, overview, cockpit_html, overview_html = assessed_on_both(client)
    assert cockpit == overview == 3
    assert "数据更新于" in cockpit_html and "数据更新于" in overview_html

    # A fourth teacher assesses after the nightly recompute: both pages count
    # her at once (the 驾驶舱 used to wait for the next night: 28 against 29).
    assess(district["school_a1"].teachers.all()[5])
    cockpit, overview, cockpit_html, _ = assessed_on_both(client)
    assert cockpit == overview == 4
    assert "完成自我测评（4 人）" in cockpit_html
    school_row = client.get(reverse("org_overview")).context["schools"][0]
    assert school_row["assessed"] == 4 and school_row["n"] == 6


def test_studio_participation_counts_the_ledger(client, district):
    hr = hr_user(district["school_a1"])
    client.force_login(hr)
    first = client.get(reverse("org_overview"))
    assert first.context["studio_attendees"] == 0
    teacher = district["school_a1"].teachers.first()
    credit_record_append(
        teacher=teacher,
        kind="studio_activity",
        category="学科",
        source_type="studio.activity",
        source_title="名师工作室集体备课",
        hours=Decimal(4),
        earned_on=datetime.date.today(),
        idempotency_key="figures:1",
    )
    # No recompute, no cache flush: the new ledger record is an input.
    after = client.get(reverse("org_overview"))
    assert after.context["studio_attendees"] == 1
    assert after.context["percent"]["studio_attendees"] == 17
    assert "参加过工作室活动（1 人）" in after.content.decode()
