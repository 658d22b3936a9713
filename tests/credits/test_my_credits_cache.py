""" "My credits" is kept rendered (cms/shared/pagecache.py `fragment`): a new
record, a reversal, her school and the rules in force show on the next view,
and no teacher is ever shown another's."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from credits.models import CreditRuleSet
from credits.rules import DEFAULT_CONFIG
from credits.services import credit_record_reverse
from tests.factories import TeacherFactory
from tests.factories.credits import ledger_record, national_rules

pytestmark = pytest.mark.django_db


def _page(client) -> str:
    response = client.get(reverse("my_credits"))
    assert response.status_code == 200
    return response.content.decode()


def content(html: str) -> str:
    return html[html.index("<h1>") : html.index("</main>")]


@pytest.fixture
def lin(client):
    """Lin with one record, signed in; her page seen once (so kept)."""
    national_rules()
    teacher = TeacherFactory(real_name="林晓")
    ledger_record(teacher=teacher, title="人工智能助力课堂教学", hours=12)
    client.force_login(teacher.user)
    _page(client)
    return teacher


def test_second_view_is_served_kept_with_few_queries(client, lin):
    first = _page(client)
    with CaptureQueriesContext(connection) as queries:
        again = _page(client)
    assert len(queries.captured_queries) <= 5  # session, user, roles, profile
    assert content(again) == content(first)
    assert '<span class="stat">12.0</span> / 360' in again


def test_a_new_record_and_a_reversal_show_at_once(client, lin):
    record = ledger_record(teacher=lin, title="数据素养进阶", hours=6, source_id=2)
    html = _page(client)
    assert "数据素养进阶" in html and '<span class="stat">18.0</span>' in html
    credit_record_reverse(record=record, reason="重复记录")
    assert '<span class="stat">12.0</span>' in _page(client)


def test_new_rules_in_force_show_at_once(client, lin):
    config = {**DEFAULT_CONFIG, "cycle": {**DEFAULT_CONFIG["cycle"], "hours": 240}}
    CreditRuleSet.objects.create(
        name="新版全国规则",
        effective_from=datetime.date(2021, 1, 1),
        config=config,
    )
    html = _page(client)
    assert "新版全国规则" in html and "/ 240" in html


def test_another_teacher_never_gets_hers(client, lin):
    client.force_login(TeacherFactory().user)
    html = _page(client)
    assert "人工智能助力课堂教学" not in html
    assert '<span class="stat">0</span>' in html


def test_language_switch_shows_the_page_in_that_language(client, lin):
    assert "每年学时" in _page(client)
    client.cookies["django_language"] = "en"
    assert "每年学时" not in _page(client)
    del client.cookies["django_language"]
    assert "每年学时" in _page(client)


def test_redis_down_still_renders(client, lin, cache_unreachable):
    ledger_record(teacher=lin, title="断线时的课程", hours=1, source_id=3)
    assert "断线时的课程" in _page(client)
