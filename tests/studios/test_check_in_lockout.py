"""A studio activity's six-digit check-in code earns credit hours, so it gets
the same guessing protection as a course session's (one module, cms.shared.attendance)."""

import pytest
from django.urls import reverse

from cms.shared import attendance
from cms.studios import services
from cms.studios.models import Activity, Registration
from credits.models import CreditRecord
from tests.factories import TeacherFactory

pytestmark = pytest.mark.django_db


def test_guessing_a_studio_check_in_code_is_locked_out(client, activity):
    teacher = TeacherFactory()
    client.force_login(teacher.user)
    url = reverse("studio_activity", args=[activity.pk])
    wrong = [f"{n:06d}" for n in range(20) if f"{n:06d}" != activity.code]
    for code in wrong[: attendance.MAX_FAILURES]:
        response = client.post(url, {"action": "check_in", "code": code}, follow=True)
        assert "签到码不正确" in response.content.decode()
    # Now even the right code waits, and says why; nothing is recorded.
    response = client.post(
        url, {"action": "check_in", "code": activity.code}, follow=True
    )
    assert "错误次数过多" in response.content.decode()
    assert not Registration.objects.filter(
        activity=activity, teacher=teacher, checked_in_at__isnull=False
    ).exists()
    assert not CreditRecord.objects.filter(teacher=teacher).exists()
    # Another teacher at the same activity is not held up.
    other = TeacherFactory()
    registration = services.check_in(
        activity=activity, teacher=other, code=activity.code
    )
    assert registration.checked_in_at and registration.credited


def test_the_lockout_is_per_event(activity):
    """Wrong codes at one activity do not lock the teacher out of another."""
    teacher = TeacherFactory()
    for _ in range(attendance.MAX_FAILURES):
        with pytest.raises(services.NotAllowed, match="签到码不正确"):
            services.check_in(activity=activity, teacher=teacher, code="x")
    with pytest.raises(services.NotAllowed, match="错误次数过多"):
        services.check_in(activity=activity, teacher=teacher, code=activity.code)
    second = Activity.objects.create(
        studio=activity.studio,
        title="听评课",
        kind="听评课",
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        hours=1,
    )
    assert services.check_in(activity=second, teacher=teacher, code=second.code)
