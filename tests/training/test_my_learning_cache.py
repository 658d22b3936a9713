""" "My learning" keeps her courses and their progress rendered
(cms/shared/pagecache.py `fragment`): every change to them shows on the next
view, her upcoming sessions are read live, and no teacher is ever shown
another's."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import TeacherFactory
from tests.factories.courses import make_course
from training.courses import services
from training.courses.models import CoursePage, CourseSession

pytestmark = pytest.mark.django_db


def _page(client, query: str = "") -> str:
    response = client.get(reverse("my_learning") + query)
    assert response.status_code == 200
    return response.content.decode()


def content(html: str) -> str:
    return html[html.index("<h1>") : html.index("</main>")]


@pytest.fixture
def course(rules):
    return make_course(title="数据素养", lessons=2)


@pytest.fixture
def lin(client, course):
    """Lin, enrolled in one course, signed in; her page seen once (kept)."""
    teacher = TeacherFactory(real_name="林晓")
    services.course_enrol(course=course, teacher=teacher)
    client.force_login(teacher.user)
    _page(client)
    return teacher


def test_second_view_is_served_kept_with_few_queries(client, lin):
    first = _page(client)
    with CaptureQueriesContext(connection) as queries:
        again = _page(client)
    # Session, user, roles, her profile, her upcoming sessions.
    assert len(queries.captured_queries) <= 5
    assert content(again) == content(first)
    assert "数据素养" in again and "0/2 课时" in again


def test_enrolment_progress_and_completion_show_at_once(client, course, lin):
    enrolment = lin.enrolments.get()
    services.lesson_complete(enrolment=enrolment, lesson=course.lessons.first())
    assert "1/2 课时" in _page(client)
    other = make_course(title="人工智能助力课堂", lessons=1)
    services.course_enrol(course=other, teacher=lin)
    html = _page(client)
    assert "人工智能助力课堂" in html and "全部（2）" in html
    services.lesson_complete(
        enrolment=lin.enrolments.get(course=other), lesson=other.lessons.get()
    )
    html = _page(client, "?status=completed")
    assert "人工智能助力课堂" in html and "已结业" in html
    assert "数据素养" not in html
    assert "数据素养" in _page(client, "?status=enrolled")


def test_a_course_renamed_and_published_shows_at_once(client, course, lin):
    page = CoursePage.objects.get(pk=course.pk)
    page.title = "数据素养（第二版）"
    page.save_revision().publish()
    assert "数据素养（第二版）" in _page(client)


def test_upcoming_sessions_are_read_live(client, course, lin, monkeypatch):
    now = timezone.now()
    session = CourseSession.objects.create(
        course=course,
        title="线下研讨",
        starts_at=now,
        ends_at=now + datetime.timedelta(hours=1),
        place="报告厅",
    )
    assert "线下研讨" not in _page(client)
    services.session_register(session=session, teacher=lin)
    assert "线下研讨" in _page(client)
    # Two hours later the session is over: gone, her courses still kept.
    real_now = timezone.now
    monkeypatch.setattr(
        timezone, "now", lambda: real_now() + datetime.timedelta(hours=2)
    )
    html = _page(client)
    assert "线下研讨" not in html and "数据素养" in html


def test_another_teacher_never_gets_hers(client, lin):
    client.force_login(TeacherFactory().user)
    html = _page(client)
    assert "数据素养" not in html and "你还没有报名任何课程" in html


def test_language_switch_shows_the_page_in_that_language(client, lin):
    assert "学习中" in _page(client)
    client.cookies["django_language"] = "en"
    assert "学习中" not in _page(client)
    del client.cookies["django_language"]
    assert "学习中" in _page(client)


def test_redis_down_still_renders(client, course, lin, cache_unreachable):
    services.lesson_complete(
        enrolment=lin.enrolments.get(), lesson=course.lessons.first()
    )
    assert "1/2 课时" in _page(client)


def test_upcoming_sessions_kept_follow_registrations_check_ins_and_times(
    client, course, lin
):
    """Her registrations not yet over are kept; registering, checking in, a
    session moved and a course renamed each show on the next view, and the
    five shown are always the next five."""
    now = timezone.now()
    sessions = [
        CourseSession.objects.create(
            course=course,
            title=f"第{n}场",
            starts_at=now + datetime.timedelta(days=n),
            ends_at=now + datetime.timedelta(days=n, hours=2),
            place="报告厅",
        )
        for n in range(1, 8)
    ]
    for session in sessions[:6]:
        services.session_register(session=session, teacher=lin)
    html = _page(client)
    assert "第1场" in html and "第5场" in html and "第6场" not in html
    # A session moved earlier than the others comes first at once.
    sessions[5].starts_at = now - datetime.timedelta(hours=1)
    sessions[5].title = "第6场（提前）"
    sessions[5].save()
    html = _page(client)
    assert "第6场（提前）" in html and "第5场" not in html
    # Checked in: the badge shows at once.
    from training.courses.models import SessionRegistration

    SessionRegistration.objects.filter(session=sessions[0]).update(
        checked_in_at=timezone.now()
    )
    assert "已签到" in _page(client)
    # A new registration.
    services.session_register(session=sessions[6], teacher=lin)
    page = CoursePage.objects.get(pk=course.pk)
    page.title = "数据素养（新名）"
    page.save_revision().publish()
    html = _page(client)
    assert "数据素养（新名）" in html.split("近期场次")[1].split("</section>")[0]
