"""Before the year closes, teachers under the yearly minimum are reminded by
email and on the site, once a month."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from credits.services import compliance_reminders_send
from credits.tasks import compliance_reminders_task
from tests.factories.credits import ledger_record, national_rules

pytestmark = pytest.mark.django_db
NOV = datetime.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def rules(db):
    national_rules()


def test_behind_teachers_are_reminded_once(client, district_tree):
    done, behind = district_tree["teachers"]["SA1"]
    ledger_record(
        teacher=done, category="学科", title="课程", hours=40, earned_on=NOV, key="done"
    )
    sent = compliance_reminders_send(on=NOV)
    assert sent == 5  # every teacher of the tree but the one with 40 hours
    recipients = {m.to[0] for m in mail.outbox}
    assert behind.user.email in recipients and done.user.email not in recipients
    assert "年度最低要求为 36 学时" in next(
        m.body for m in mail.outbox if m.to == [behind.user.email]
    )
    assert compliance_reminders_send(on=NOV) == 0  # not twice in a month
    client.force_login(behind.user)
    html = client.get(reverse("dashboard")).content.decode()
    assert "2026 年继续教育学时提醒" in html


def test_the_task_is_scheduled_before_the_year_closes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["credit-compliance-reminders"]
    assert entry["task"] == compliance_reminders_task.name
    assert entry["schedule"].month_of_year == {10, 11, 12}
