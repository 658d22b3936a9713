"""Authors build courses in the Wagtail admin: the page form with its lessons,
quiz and sessions, and the completion rule checked before publishing."""

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import (
    inline_formset,
    nested_form_data,
    rich_text,
    streamfield,
)

from cms.accounts.models import Role
from tests.factories import UserFactory, grant
from training.courses.models import CoursePage
from training.courses.services import catalogue_ensure
from training.models import Competency

pytestmark = pytest.mark.django_db


def course_form(**overrides):
    indicator = Competency.objects.get(framework__code="jyt0646-2022", code="3.3.2")
    data = {
        "title": "学业数据分析入门",
        "slug": "data-analysis",
        "summary": "用电子表格分析学业数据",
        "body": streamfield([("text", rich_text("<p>课程介绍：数据分析</p>"))]),
        "lessons": inline_formset(
            [
                {
                    "module": "第一模块",
                    "title": "认识数据",
                    "kind": "text",
                    "body": rich_text("<p>内容</p>"),
                },
                {
                    "module": "第一模块",
                    "title": "动手分析",
                    "kind": "text",
                    "body": rich_text("<p>内容</p>"),
                },
            ]
        ),
        "questions": inline_formset(
            [
                {
                    "prompt": "平均分能看出分布吗？",
                    "options": "能\n不能",
                    "answer": "B",
                    "points": "1",
                }
            ]
        ),
        "sessions": inline_formset([]),
        "mode": "online",
        "hours": "6",
        "category": "信息技术应用",
        "require_lessons": "on",
        "video_threshold": "90",
        "require_quiz": "on",
        "quiz_pass_percent": "60",
        "min_sessions": "0",
        "assignment_brief": rich_text(""),
        "action-publish": "publish",
    }
    data.update(overrides)
    form = nested_form_data(data)
    form["indicators"] = [indicator.pk]
    return form


def test_admin_authors_and_publishes_a_course(client):
    index = catalogue_ensure()
    admin = grant(UserFactory(is_superuser=True, is_staff=True), Role.PLATFORM_ADMIN)
    client.force_login(admin)
    url = reverse("wagtailadmin_pages:add", args=["courses", "coursepage", index.pk])
    response = client.post(url, course_form())
    assert response.status_code == 302, response.context["form"].errors
    course = CoursePage.objects.get(slug="data-analysis")
    assert course.live
    assert [lesson.title for lesson in course.lessons.all()] == ["认识数据", "动手分析"]
    assert course.questions.get().answer == "B"
    assert "课程介绍：数据分析" in course.search_text
    assert (
        "学业数据分析入门"
        in client.get("/courses/", {"q": "数据分析"}).content.decode()
    )


def test_admin_is_told_what_is_wrong(client):
    index = catalogue_ensure()
    admin = grant(UserFactory(is_superuser=True, is_staff=True), Role.PLATFORM_ADMIN)
    client.force_login(admin)
    url = reverse("wagtailadmin_pages:add", args=["courses", "coursepage", index.pk])
    data = course_form(require_lessons="", require_quiz="")
    data.pop("require_lessons")
    data.pop("require_quiz")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "请至少设置一项结业要求" in response.content.decode()
    bad_answer = course_form(
        questions=inline_formset(
            [{"prompt": "题", "options": "甲\n乙", "answer": "D", "points": "1"}]
        )
    )
    response = client.post(url, bad_answer)
    assert response.status_code == 200
    assert "正确答案须是选项中的字母" in response.content.decode()
    assert not CoursePage.objects.exists()
