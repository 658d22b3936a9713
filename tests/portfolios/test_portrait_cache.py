"""Her own portrait is kept rendered (cms/shared/pagecache.py `fragment`):
every kind of change to what it shows appears on the next request, and no
teacher is ever shown another's."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from badges.models import IssuedCredential
from cms.accounts.models import RoleAssignment
from portfolios.models import Evidence, EvidenceReview, Goal
from tests.factories.credits import ledger_record
from training.models import Competency

from .conftest import assess

pytestmark = pytest.mark.django_db


def _page(client) -> str:
    response = client.get(reverse("my_portrait"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def seen(client, lin):
    """Lin signed in, her portrait rendered once (so now cached)."""
    client.force_login(lin.user)
    _page(client)
    return lin


def test_second_view_is_served_rendered_with_few_queries(client, seen):
    first = _page(client)
    with CaptureQueriesContext(connection) as queries:
        again = _page(client)
    assert len(queries.captured_queries) <= 6

    def content(html):
        return html[html.index("<h1>") : html.index('id="section-timeline"')]

    assert content(again) == content(first)
    assert "林晓" in again and "五维画像" in again
    # The page's forms still get a fresh CSRF token each time: only the
    # content is kept, the rest of the page renders per request.
    assert first != again


def test_a_new_ledger_record_shows_at_once(client, seen):
    assert "数据素养进阶" not in _page(client)
    ledger_record(teacher=seen, title="数据素养进阶", hours=6, source_id=77)
    html = _page(client)
    assert "数据素养进阶" in html
    assert "18" in html[html.index("学时学分") :]  # 12 + 6 hours


def test_a_new_assessment_shows_at_once(client, seen, settings):
    assert "共测评 1 次" in _page(client)
    settings.ASSESSMENT_RETAKE_DAYS = 0
    assess(seen)
    assert "共测评 2 次" in _page(client)


def test_goals_show_at_once_also_after_a_bulk_update(client, seen):
    indicator = Competency.objects.filter(level=Competency.Level.INDICATOR).first()
    goal = Goal.objects.create(
        teacher=seen,
        indicator=indicator,
        target_level=4,
        due_on=datetime.date.today() + datetime.timedelta(days=90),
        plan="每周一次数据复盘",
    )
    assert "每周一次数据复盘" in _page(client)
    # An update fires no signal: the queryset bumps her version itself.
    Goal.objects.filter(pk=goal.pk).update(plan="每月一次课例研讨")
    html = _page(client)
    assert "每月一次课例研讨" in html and "每周一次数据复盘" not in html
    goal.delete()
    assert "每月一次课例研讨" not in _page(client)


def test_a_revoked_credential_shows_at_once_even_by_update(client, seen):
    html = _page(client)
    section = html[html.index('id="section-credentials"') :]
    assert "已撤销" not in section[: section.index("</section>")]
    IssuedCredential.objects.filter(teacher=seen).update(revoked_at=timezone.now())
    html = _page(client)
    section = html[html.index('id="section-credentials"') :]
    assert "已撤销" in section[: section.index("</section>")]


def test_a_finished_evidence_review_shows_at_once(client, seen, trainer):
    evidence = Evidence.objects.create(
        teacher=seen, title="课例视频：函数图像", kind=Evidence.Kind.LESSON_VIDEO
    )
    review = EvidenceReview.objects.create(evidence=evidence, reviewer=trainer)
    html = _page(client)
    assert "课例视频：函数图像" in html and "已评价" not in html
    EvidenceReview.objects.filter(pk=review.pk).update(
        status=EvidenceReview.Status.DONE,
        levels={"1.1.1": 4},
        reviewed_at=timezone.now(),
    )
    assert "已评价" in _page(client)


def test_a_new_role_shows_at_once(client, seen, world):
    assert "担任" not in _page(client)
    RoleAssignment.objects.create(
        user=seen.user, role="trainer", organisation=world["dist_a"]
    )
    assert "担任" in _page(client)


def test_her_name_and_school_changes_show_at_once(client, seen):
    seen.real_name = "林晓雯"
    seen.save()
    assert "林晓雯" in _page(client)
    seen.school.name = "临江一中"
    seen.school.save()
    assert "临江一中" in _page(client)


def test_language_switch_is_never_served_the_other_language(client, seen):
    assert '<h2 id="profile-heading">五维画像</h2>' in _page(client)
    client.cookies["django_language"] = "en"
    english = _page(client)
    assert '<h2 id="profile-heading">Five-dimension profile</h2>' in english
    del client.cookies["django_language"]
    assert '<h2 id="profile-heading">五维画像</h2>' in _page(client)


def test_another_teacher_never_gets_her_fragment(client, seen, world):
    other = world["teachers"]["SA1"][1]
    other.real_name = "周敏"
    other.save()
    client.force_login(other.user)
    html = _page(client)
    assert "周敏" in html and "林晓" not in html
    assert "人工智能助力课堂教学" not in html


def test_redis_down_still_renders(client, seen, cache_unreachable):
    ledger_record(teacher=seen, title="断线时的课程", hours=1, source_id=78)
    assert "断线时的课程" in _page(client)
