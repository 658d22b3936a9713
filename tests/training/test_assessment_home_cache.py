"""Her self-assessment page is kept rendered (cms/shared/pagecache.py
`fragment`): a started or submitted attempt, a new instrument and the day she
may retake show on the next view, her form carries her own live CSRF token,
and no teacher is ever shown another's."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import TeacherFactory
from tests.factories.training import make_instrument
from training import services
from training.models import AssessmentAttempt

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _page(client) -> str:
    response = client.get(reverse("assessment_home"))
    assert response.status_code == 200
    return response.content.decode()


def content(html: str) -> str:
    return TOKEN.sub("", html[html.index("<h1>") : html.index("</main>")])


def _submit(teacher):
    attempt = services.attempt_start(teacher=teacher)
    services.answers_save(
        attempt=attempt,
        answers={i.pk: 1 + i.position % 4 for i in attempt.instrument.items.all()},
    )
    return services.attempt_submit(attempt=attempt)


@pytest.fixture
def lin(client):
    make_instrument()
    teacher = TeacherFactory(real_name="林晓")
    client.force_login(teacher.user)
    _page(client)
    return teacher


def test_second_view_is_served_kept_with_few_queries(client, lin):
    first = _page(client)
    with CaptureQueriesContext(connection) as queries:
        again = _page(client)
    assert len(queries.captured_queries) <= 5  # session, user, roles, profile
    assert content(again) == content(first)
    assert 'id="start-assessment"' in again
    assert TOKEN.findall(again) != TOKEN.findall(first)  # fresh each time


def test_the_kept_form_carries_her_live_csrf_token(lin):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(lin.user)
    _page(browser)
    html = _page(browser)
    token = TOKEN.findall(html)[-1]
    assert "csrfslot" not in html
    response = browser.post(reverse("assessment_start"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert AssessmentAttempt.objects.filter(teacher=lin).exists()


def test_attempt_started_and_submitted_show_at_once(client, lin):
    services.attempt_start(teacher=lin)
    assert 'id="resume-assessment"' in _page(client)
    AssessmentAttempt.objects.filter(teacher=lin).delete()
    assert 'id="resume-assessment"' not in _page(client)
    result = _submit(lin)
    html = _page(client)
    assert reverse("assessment_result", args=[result.pk]) in html
    assert "下次可测评日期" in html and "再次测评" in html


def test_the_day_she_may_retake_shows_the_note_gone(client, lin, settings, monkeypatch):
    settings.ASSESSMENT_RETAKE_DAYS = 1
    _submit(lin)
    assert "下次可测评日期" in _page(client)
    now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: now() + datetime.timedelta(days=2))
    assert "下次可测评日期" not in _page(client)


def test_another_teacher_never_gets_hers(client, lin):
    result = _submit(lin)
    _page(client)
    client.force_login(TeacherFactory().user)
    html = _page(client)
    assert reverse("assessment_result", args=[result.pk]) not in html
    assert "还没有测评记录" in html


def test_language_switch_shows_the_page_in_that_language(client, lin):
    assert "我的测评记录" in _page(client)
    client.cookies["django_language"] = "en"
    assert "我的测评记录" not in _page(client)
    del client.cookies["django_language"]
    assert "我的测评记录" in _page(client)


def test_redis_down_still_renders(client, lin, cache_unreachable):
    services.attempt_start(teacher=lin)
    assert 'id="resume-assessment"' in _page(client)
