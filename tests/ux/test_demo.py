"""Issue 17 item 10: the demo lets a newcomer try each feature today."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from cms.accounts.models import Notification
from cms.studios.models import Activity, Registration
from cms.studios.services import check_in
from training.courses.models import CourseLesson

pytestmark = pytest.mark.django_db


def test_demo_has_a_video_lesson_and_activities_to_check_in_today(client):
    call_command("seed_demo")
    lesson = CourseLesson.objects.get(kind="video")
    assert lesson.video is not None and lesson.duration_seconds == 30
    assert lesson.video.file.size > 10_000
    assert client.get(lesson.course.url).status_code == 200

    now = timezone.now()
    today = Activity.objects.get(starts_at__lte=now, ends_at__gte=now)
    assert today.indicators.exists()
    past = Activity.objects.filter(ends_at__lt=now)
    assert past.exists() and Registration.objects.filter(activity__in=past).exists()
    registration = Registration.objects.get(
        activity=today, teacher__staff_number="DH01001"
    )
    check_in(activity=today, teacher=registration.teacher, code=today.code)
    registration.refresh_from_db()
    assert registration.checked_in_at is not None

    # Running it again adds nothing.
    counts = (Activity.objects.count(), CourseLesson.objects.count())
    call_command("seed_demo")
    assert (Activity.objects.count(), CourseLesson.objects.count()) == counts


def test_reminders_can_be_sent_without_beat(capsys):
    call_command("seed_demo")
    call_command("reminders_send", date=f"{timezone.localdate().year}-10-01")
    out = capsys.readouterr().out
    assert "已发送学时提醒" in out
    sent = Notification.objects.filter(title__contains="学时提醒").count()
    assert sent > 0
    call_command("reminders_send", date=f"{timezone.localdate().year}-10-01")
    assert Notification.objects.filter(title__contains="学时提醒").count() == sent
