"""Fixtures of the studio tests: a studio of district A with an activity
under way (credited against the national rules)."""

import datetime

import pytest
from django.utils import timezone

from cms.studios import services
from cms.studios.models import Activity
from tests.factories import TeacherFactory
from tests.factories.credits import national_rules


@pytest.fixture
def activity(district_tree):
    from tests.factories.site import ensure_base_content

    ensure_base_content()
    national_rules()
    leader = TeacherFactory(school=district_tree["school_a1"])
    studio = services.studio_create(
        title="张名师数学工作室",
        kind="名师",
        leader=leader.user,
        region=district_tree["dist_a"],
        subject="数学",
    )
    now = timezone.now()
    return Activity.objects.create(
        studio=studio,
        title="函数单元集体备课",
        kind="集体备课",
        starts_at=now - datetime.timedelta(minutes=10),
        ends_at=now + datetime.timedelta(hours=2),
        place="东湖实验小学",
        hours=3,
    )
