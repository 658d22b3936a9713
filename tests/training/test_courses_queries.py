"""The catalogue, a course page and "my learning" read in a fixed number of
queries: adding courses, lessons, indicators or enrolments adds none."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms.shared import pagecache
from tests.factories import TeacherFactory
from tests.factories.courses import make_course
from training.courses.services import course_enrol, lesson_complete

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    client.get(url)  # warm per-process caches (site root paths, content types)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def queries_fresh(client, url, teacher) -> int:
    """Queries of a view whose kept fragments of hers are all stale."""
    client.get(url)
    pagecache.teacher_changed(teacher.pk)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_catalogue_queries_do_not_grow_with_courses(client):
    teacher = TeacherFactory()
    for _ in range(3):
        course = make_course(indicators=("3.3.1", "3.3.2"))
        course_enrol(course=course, teacher=teacher)
    client.force_login(teacher.user)
    few = queries(client, "/courses/")
    few_search = queries(client, "/courses/?q=课程&dimension=3&sort=hours")
    for _ in range(20):
        course = make_course(indicators=("3.3.1", "3.3.2", "4.2.1"))
        course_enrol(course=course, teacher=teacher)
    assert queries(client, "/courses/") == few
    assert queries(client, "/courses/?q=课程&dimension=3&sort=hours") == few_search
    assert few <= 20  # the budget: Wagtail routing, session, user, page data


def test_course_page_queries_do_not_grow_with_its_parts(client):
    teacher = TeacherFactory()
    small = make_course(lessons=2, sessions=1, indicators=("3.3.1",))
    big = make_course(
        lessons=12,
        sessions=4,
        questions=[("甲\n乙", "A")] * 5,
        indicators=("3.3.1", "3.3.2", "4.2.1", "5.1.1"),
    )
    for course in (small, big):
        enrolment = course_enrol(course=course, teacher=teacher)
        for lesson in course.lessons.all():
            lesson_complete(enrolment=enrolment, lesson=lesson)
    client.force_login(teacher.user)
    assert queries(client, big.url) == queries(client, small.url) <= 6
    # Rendered afresh (her part not kept): flat too.
    fresh_small = queries_fresh(client, small.url, teacher)
    assert queries_fresh(client, big.url, teacher) == fresh_small
    client.logout()
    assert queries(client, big.url) == queries(client, small.url)


def test_my_learning_queries_do_not_grow_with_enrolments(client):
    teacher = TeacherFactory()
    for _ in range(2):
        course_enrol(course=make_course(lessons=3), teacher=teacher)
    client.force_login(teacher.user)
    few = queries(client, "/learn/")
    fresh = queries_fresh(client, "/learn/", teacher)
    for _ in range(25):
        course_enrol(course=make_course(lessons=4), teacher=teacher)
    assert queries(client, "/learn/") == few <= 5
    assert queries(client, "/learn/?page=2") == few
    assert queries_fresh(client, "/learn/", teacher) == fresh
    assert queries_fresh(client, "/learn/?page=2", teacher) == fresh
