"""A course page served to a signed-in teacher keeps her part rendered
(cms/shared/pagecache.py `fragment`): every kind of change to what it shows
appears on the next request, her forms carry her own live CSRF token, and no
teacher is ever shown another's."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cms.accounts.models import Role, RoleAssignment
from tests.factories import TeacherFactory, UserFactory
from tests.factories.courses import make_course, make_rubric
from training.courses import services
from training.courses.models import CourseLesson, CoursePage, Enrolment

pytestmark = pytest.mark.django_db


def _page(client, course) -> str:
    response = client.get(course.url)
    assert response.status_code == 200
    return response.content.decode()


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _content(html: str) -> str:
    """The course's part of the page, its forms' tokens left out."""
    return TOKEN.sub("", html[html.index("<h1>") : html.index("</main>")])


@pytest.fixture
def course(rules, trainer):
    return make_course(
        title="数据素养",
        lessons=2,
        sessions=1,
        questions=[("甲\n乙", "A")],
        rubric=make_rubric(criteria=((10, "3.1.1"),), pass_percent=60),
        trainers=[trainer],
        capacity=5,
    )


@pytest.fixture
def lin(client, course):
    """Lin signed in, the course page seen once (so her part is kept)."""
    teacher = TeacherFactory(real_name="林晓")
    client.force_login(teacher.user)
    _page(client, course)
    return teacher


def _enrolled(lin, course) -> Enrolment:
    return services.course_enrol(course=course, teacher=lin)


def test_second_view_is_served_kept_with_few_queries(client, course, lin):
    first = _page(client, course)
    with CaptureQueriesContext(connection) as queries:
        again = _page(client, course)
    # Session, user, roles, the page, her profile: nothing of the course.
    assert len(queries.captured_queries) <= 6
    assert _content(again) == _content(first)
    # Each answer's form still gets a fresh token: it is not kept.
    assert TOKEN.findall(again) != TOKEN.findall(first)
    assert 'id="enrol-button"' in again and "剩余 5 个名额" in again


def test_the_kept_form_carries_her_live_csrf_token(course, lin):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(lin.user)
    _page(browser, course)  # kept now
    html = _page(browser, course)
    tokens = TOKEN.findall(html)
    assert tokens and "csrfslot" not in html
    response = browser.post(
        reverse("course_enrol", args=[course.pk]), {"csrfmiddlewaretoken": tokens[0]}
    )
    assert response.status_code == 302
    assert Enrolment.objects.filter(course=course, teacher=lin).exists()
    # Another browser is never given the first one's token.
    other = Client(enforce_csrf_checks=True)
    other.force_login(TeacherFactory().user)
    other_html = _page(other, course)
    other_tokens = TOKEN.findall(other_html)
    assert other_tokens and not set(other_tokens) & set(tokens)


def test_enrolment_and_seats_show_at_once(client, course, lin):
    _enrolled(lin, course)
    html = _page(client, course)
    assert "学习中" in html and 'id="enrol-button"' not in html
    # Another teacher's enrolment: one place fewer on the next view.
    services.course_enrol(course=course, teacher=TeacherFactory())
    client.force_login(TeacherFactory().user)
    assert "剩余 3 个名额" in _page(client, course)


def test_lesson_progress_quiz_and_session_show_at_once(client, course, lin):
    enrolment = _enrolled(lin, course)
    html = _page(client, course)
    assert "已学完" not in html and "已学 0/2" in html
    services.lesson_complete(enrolment=enrolment, lesson=course.lessons.first())
    html = _page(client, course)
    assert html.count("已学完") == 1 and "已学 1/2" in html
    assert "上次" not in html
    question = course.questions.get()
    services.quiz_submit(enrolment=enrolment, answers={question.pk: {"B"}})
    assert "上次 0/1 分" in _page(client, course)
    session = course.sessions.get()
    assert "报名该场次" in _page(client, course)
    services.session_register(session=session, teacher=lin)
    html = _page(client, course)
    assert "已报名" in html and "报名该场次" not in html


def test_submission_and_grade_show_at_once(client, course, lin, trainer):
    enrolment = _enrolled(lin, course)
    submission = services.assignment_submit(enrolment=enrolment, text="我的作业")
    html = _page(client, course)
    assert submission.get_status_display() in html
    criterion = course.rubric.criteria.get()
    services.submission_grade(
        submission=submission, by=trainer, criterion_scores={str(criterion.pk): 9}
    )
    submission.refresh_from_db()
    html = _page(client, course)
    assert submission.passed
    assert f'badge-ok">{submission.get_status_display()}' in html
    assert "作业评定合格" not in html


def test_course_edited_and_published_shows_at_once(client, course, lin):
    page = CoursePage.objects.get(pk=course.pk)
    page.summary = "更新后的课程简介"
    page.lessons.add(CourseLesson(sort_order=9, title="新增课时", kind="text"))
    page.save_revision().publish()
    html = _page(client, course)
    assert "更新后的课程简介" in html and "新增课时" in html


def test_trainer_link_shows_when_she_is_made_a_trainer(client, course, lin):
    assert "批改本课程作业" not in _page(client, course)
    page = CoursePage.objects.get(pk=course.pk)
    page.trainers.add(lin.user)  # by the editor, published
    page.save_revision().publish()
    assert "批改本课程作业" in _page(client, course)
    lin.user.graded_courses.remove(page)  # from the other side, no publishing
    assert "批改本课程作业" not in _page(client, course)
    RoleAssignment.objects.create(user=lin.user, role=Role.PLATFORM_ADMIN)
    assert "批改本课程作业" in _page(client, course)


def test_the_next_day_shows_the_window_closed(client, rules, monkeypatch):
    today = timezone.localdate()
    course = make_course(enrol_closes=today)
    client.force_login(TeacherFactory().user)
    assert 'id="enrol-button"' in _page(client, course)
    now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: now() + datetime.timedelta(days=1))
    html = _page(client, course)
    assert "报名已截止" in html and 'id="enrol-button"' not in html


def test_another_teacher_never_gets_her_part(client, course, lin):
    enrolment = _enrolled(lin, course)
    services.lesson_complete(enrolment=enrolment, lesson=course.lessons.first())
    assert "已学完" in _page(client, course)
    client.force_login(TeacherFactory().user)
    html = _page(client, course)
    assert "已学完" not in html and "学习中" not in html
    assert 'id="enrol-button"' in html
    # Nor does a signed-in user who is no teacher.
    client.force_login(UserFactory())
    html = _page(client, course)
    assert "只有教师账号可以报名" in html and "enrol-button" not in html


def test_language_switch_shows_her_part_in_that_language(client, course, lin):
    assert "课程安排" in _page(client, course)
    client.cookies["django_language"] = "en"
    assert "课程安排" not in _page(client, course)
    del client.cookies["django_language"]
    assert "课程安排" in _page(client, course)


def test_redis_down_still_renders(client, course, lin, cache_unreachable):
    _enrolled(lin, course)
    assert "学习中" in _page(client, course)


def test_a_preview_is_never_kept_nor_served_kept(rf, client, course, lin):
    """An editor who is also a teacher previews a draft: she sees the draft,
    rendered afresh, and her kept live page is neither used nor replaced."""
    draft = CoursePage.objects.get(pk=course.pk)
    draft.summary = "草稿里的新简介"
    request = rf.get(course.url)
    request.user = lin.user
    request.is_preview = True
    context = draft.get_context(request)
    assert "body" not in context and context["enrolment"] is None
    assert context["page"].summary == "草稿里的新简介"
    assert "草稿里的新简介" not in _page(client, course)
