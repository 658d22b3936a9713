"""The dashboard keeps her roles, profile, latest self-assessment and (HR) her
organisations' summary rendered (cms/views.py `_kept`); notifications and a
trainer's or studio leader's work are read live, and only when there are any
(`_what_to_read`). Every change shows on the next view, no two users or
scopes share what is kept, and the page works without Redis."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cms.accounts import services as account_services
from cms.accounts.models import (
    Notification,
    Organisation,
    Role,
    RoleAssignment,
    TeacherProfile,
)
from cms.studios import services as studio_services
from tests.factories import TeacherFactory, UserFactory, grant, hr_user
from tests.factories.courses import make_course
from tests.factories.training import make_instrument
from training import services as training_services

pytestmark = pytest.mark.django_db


def _page(client) -> str:
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def content(html: str) -> str:
    return html[html.index("<h1>") : html.index("</main>")]


def roles(html: str) -> str:
    return html.split('id="roles-heading"')[1].split("</section>")[0]


def assess(teacher):
    attempt = training_services.attempt_start(teacher=teacher)
    items = attempt.instrument.items.values_list("id", flat=True)
    training_services.answers_save(attempt=attempt, answers={i: 4 for i in items})
    return training_services.attempt_submit(attempt=attempt)


@pytest.fixture
def hr(client, district_tree, hr_dist_a):
    """District A's HR, signed in, her dashboard seen once (so kept)."""
    client.force_login(hr_dist_a)
    _page(client)
    return hr_dist_a


@pytest.fixture
def lin(client, district_tree):
    """A teacher, signed in, her dashboard seen once (so kept)."""
    teacher = TeacherFactory(
        school=district_tree["school_a1"], real_name="林晓", subjects=["语文"]
    )
    grant(teacher.user, Role.TEACHER, district_tree["school_a1"])
    client.force_login(teacher.user)
    _page(client)
    return teacher


class TestRepeatView:
    def test_hr_repeat_view_reads_only_the_fixed_rows_and_one_check(self, client, hr):
        first = _page(client)
        with CaptureQueriesContext(connection) as queries:
            again = _page(client)
        sql = [q["sql"] for q in queries.captured_queries]
        # Session, user, roles, MFA check, profile (the header's name) and
        # her HR scopes (the navigation and the key); on PostgreSQL the user
        # statement reads them all. The combined check is kept too.
        assert len(sql) <= 6, sql
        assert content(again) == content(first)
        assert not any("accounts_notification" in s for s in sql), sql
        for table in (
            "portfolios_evidencereview",
            "courses_coursesession",
            "studios_activity",
            "training_assessmentresult",
            "COUNT(",
        ):
            assert not any(table in s for s in sql), table
        assert "东湖区" in again and 'data-stat="teachers">4<' in again

    def test_teacher_repeat_view(self, client, lin):
        first = _page(client)
        with CaptureQueriesContext(connection) as queries:
            again = _page(client)
        # Session, user, roles and profile (the combined check is kept).
        assert len(queries.captured_queries) <= 4
        assert content(again) == content(first)
        assert "林晓" in again and "语文" in again


class TestChangesShowAtOnce:
    def test_a_new_teacher_in_her_scope_is_counted(self, client, hr, district_tree):
        TeacherFactory(school=district_tree["school_a2"])
        assert 'data-stat="teachers">5<' in _page(client)

    def test_teachers_imported_in_bulk_are_counted(
        self, client, hr, django_capture_on_commit_callbacks
    ):
        # The import writes in bulk (no signal) and bumps the versions itself.
        roster = "姓名,工号,学校,邮箱,任教学科,任教学段,职称,身份证号\n"
        roster += "李明,A100,SA2,,数学,初中,,\n王芳,A101,SA1,,语文,小学,,\n"
        with django_capture_on_commit_callbacks(execute=True):
            imp = account_services.teacher_import_create(
                user=hr, name="roster.csv", data=roster.encode()
            )
            account_services.teacher_import_confirm(teacher_import=imp)
        assert (
            TeacherProfile.objects.filter(staff_number__in=["A100", "A101"]).count()
            == 2
        )
        assert 'data-stat="teachers">6<' in _page(client)

    def test_a_school_moved_out_of_her_district_leaves_the_count(
        self, client, hr, district_tree
    ):
        # Treebeard moves with raw SQL: no signal, only the teachers' version.
        school = Organisation.objects.get(pk=district_tree["school_a2"].pk)
        school.move(
            Organisation.objects.get(pk=district_tree["dist_b"].pk), "last-child"
        )
        html = _page(client)
        assert 'data-stat="teachers">2<' in html and 'data-stat="schools">1<' in html

    def test_a_renamed_organisation_shows(self, client, hr, district_tree):
        district = district_tree["dist_a"]
        district.name = "东湖新区"
        district.save()
        html = _page(client)
        assert "东湖新区" in html and "东湖区" not in html

    def test_a_new_role_shows_and_a_changed_scope_is_another_entry(
        self, client, hr, district_tree
    ):
        assert "教师（东湖实验小学）" not in roles(_page(client))
        grant(hr, Role.TEACHER, district_tree["school_a1"])
        assert "教师（东湖实验小学）" in roles(_page(client))
        RoleAssignment.objects.filter(user=hr, role=Role.HR).update(
            organisation=district_tree["dist_b"]
        )
        client.force_login(hr)
        html = _page(client)
        assert "西山区" in html and 'data-stat="teachers">2<' in html

    def test_her_profile_changed_in_bulk_shows(self, client, lin):
        TeacherProfile.objects.filter(pk=lin.pk).update(staff_number="T-90210")
        assert "T-90210" in _page(client)

    def test_her_new_self_assessment_shows(self, client, lin):
        make_instrument()
        assert "还没有做过自我测评" in _page(client)
        result = assess(lin)
        html = _page(client)
        assert "还没有做过自我测评" not in html
        assert reverse("assessment_result", args=[result.pk]) in html

    def test_her_school_renamed_shows(self, client, lin):
        school = lin.school
        school.name = "东湖实验学校"
        school.save()
        assert "东湖实验学校" in _page(client)

    def test_english_is_another_entry(self, client, lin):
        assert "我的教师档案" in _page(client)
        client.cookies["django_language"] = "en"
        assert "我的教师档案" not in _page(client)


class TestNotifications:
    def test_each_is_shown_once_newest_five_at_a_time(self, client, lin):
        for n in range(7):
            account_services.notify(user=lin.user, title=f"通知{n}")
        html = _page(client)
        assert "通知6" in html and "通知2" in html and "通知1" not in html
        html = _page(client)
        assert "通知1" in html and "通知0" in html and "通知6" not in html
        assert "新消息" not in _page(client)
        assert not Notification.objects.filter(read_at__isnull=True).exists()

    def test_a_message_left_after_a_view_without_any_shows_at_the_next(
        self, client, lin
    ):
        """Whether she has unread messages is kept with her dashboard's other
        checks: a message left (or one marked unread again) shows at once."""
        assert "新消息" not in _page(client)
        assert "新消息" not in _page(client)  # the checks kept
        account_services.notify(user=lin.user, title="研修任务已发布")
        assert "研修任务已发布" in _page(client)
        assert "研修任务已发布" not in _page(client)
        Notification.objects.filter(user=lin.user).update(read_at=None)
        assert "研修任务已发布" in _page(client)


class TestWork:
    def test_a_course_she_trains_shows_without_the_role_and_goes_when_unpublished(
        self, client, lin
    ):
        assert 'id="trainer-work"' not in _page(client)
        course = make_course(title="数据素养入门")
        course.trainers.add(lin.user)
        course.save()
        html = _page(client)
        assert 'id="trainer-work"' in html and "数据素养入门" in html
        course.unpublish()
        assert 'id="trainer-work"' not in _page(client)

    def test_the_trainer_role_alone_shows_the_trainer_section(self, client, lin):
        grant(lin.user, Role.TRAINER)
        html = _page(client)
        assert 'id="trainer-work"' in html and "还没有课程把您列为培训者" in html

    def test_a_studio_she_leads_shows(self, client, lin, district_tree):
        assert 'id="leader-work"' not in _page(client)
        studio = studio_services.studio_create(
            title="林晓语文工作室",
            kind="名师",
            leader=lin.user,
            region=district_tree["dist_a"],
            subject="语文",
        )
        html = _page(client)
        assert 'id="leader-work"' in html and studio.url in html


class TestNeverShared:
    def test_two_districts_and_a_teacher_each_see_their_own(
        self, client, district_tree, hr_dist_a
    ):
        hr_b = hr_user(district_tree["dist_b"])
        teacher = district_tree["teachers"]["SA1"][0]
        for _round in range(2):  # rendered, then kept
            client.force_login(hr_dist_a)
            html = _page(client)
            assert "东湖区" in html and "西山区" not in html
            assert 'data-stat="teachers">4<' in html
            client.force_login(hr_b)
            html = _page(client)
            assert "西山区" in html and "东湖区" not in html
            assert 'data-stat="teachers">2<' in html
            client.force_login(teacher.user)
            html = _page(client)
            assert teacher.real_name in html and 'id="hr-work"' not in html


class TestWithoutRedis:
    def test_the_page_answers_and_keeps_showing_notifications_once(
        self, client, district_tree, hr_dist_a, cache_unreachable
    ):
        client.force_login(hr_dist_a)
        account_services.notify(user=hr_dist_a, title="请核对教师名单")
        html = _page(client)
        assert "请核对教师名单" in html and 'data-stat="teachers">4<' in html
        TeacherFactory(school=district_tree["school_a2"])
        html = _page(client)
        assert "请核对教师名单" not in html and 'data-stat="teachers">5<' in html

    def test_a_user_without_roles(self, client, cache_unreachable):
        client.force_login(UserFactory())
        assert "您的账号还没有关联任何角色" in _page(client)
