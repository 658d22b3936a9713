"""The 驾驶舱 is kept rendered per user, scope, filters, language and day
(portfolios/dashboard.py, `pagecache.fragment`): a repeat visit reads one
entry and no figure; every kind of input shows on the next request; no HR
user of another organisation is ever shown it; without Redis it renders
afresh."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cms.accounts.models import Role, RoleAssignment
from cms.studios import services as studio_services
from cms.studios.models import Activity, Membership, Registration
from portfolios.compute import portraits_recompute
from portfolios.models import Portrait
from tests.factories import TeacherFactory, grant, hr_user
from tests.factories.credits import ledger_record
from tests.hr_pages import tables_read
from training.models import AssessmentResult, Competency, Instrument

from .conftest import assess

pytestmark = pytest.mark.django_db

# What a repeat visit may read: her session, user, roles and HR scopes (to
# authorise), her teacher profile (the site's navigation), and an MFA check.
AUTHORISING = {
    "django_session",
    "accounts_user",
    "accounts_roleassignment",
    "accounts_organisation",
    "accounts_teacherprofile",
    "mfa_authenticator",
}


def _page(client, **params) -> str:
    response = client.get(reverse("org_overview"), params)
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("<h1>") : html.index("</main>")]


def assessed(html: str) -> int:
    return int(re.search(r'data-assessed="(\d+)"', html).group(1))


def attendees(html: str) -> int:
    return int(re.search(r'data-attendees="(\d+)"', html).group(1))


def percent(html: str, label: str) -> int:
    return int(re.search(rf'<div class="stat">(\d+)%</div>{label}', html).group(1))


@pytest.fixture
def district(world):
    """District A: six teachers at A1 (three assessed), two at A2; the
    portraits computed."""
    for _ in range(4):
        TeacherFactory(school=world["school_a1"])
    for teacher in world["school_a1"].teachers.all()[:3]:
        assess(teacher)
    portraits_recompute()
    return world


@pytest.fixture
def seen(client, district, hr_dist_a):
    """District A's HR signed in, her 驾驶舱 rendered once (so kept)."""
    client.force_login(hr_dist_a)
    _page(client)
    return hr_dist_a


class TestKept:
    def test_a_repeat_visit_reads_no_figure(self, client, seen):
        first = _page(client)
        with CaptureQueriesContext(connection) as queries:
            again = _page(client)
        assert again == first
        # Authorising only (the HR scopes) beside the site's own reads: no
        # results, portraits, ledger or studios, and no version query.
        assert tables_read(queries) <= AUTHORISING, tables_read(queries)
        assert len(queries.captured_queries) <= 5

    def test_filters_are_normalised_into_one_entry(self, client, seen, district):
        school = district["school_a1"].pk
        plain = _page(client, school=school)
        assert _page(client, school=f"00{school}", junk="x") == plain
        assert _page(client, subject="不是学科", stage="不是阶段") == _page(client)
        # The export links carry the filters as the figures read them.
        assert f"?school={school}" in plain and "junk" not in plain
        assert f'value="{school}" selected' in plain
        # A school id too long to be one matches nothing (as before).
        assert "少于 5 人" in _page(client, school="9" * 40)

    def test_each_language_has_its_own_entry(self, client, seen):
        assert "各校情况" in _page(client)
        client.cookies["django_language"] = "en"
        assert "各校情况" not in _page(client)
        del client.cookies["django_language"]
        assert "各校情况" in _page(client)


class TestInputsShowAtOnce:
    def test_a_new_result_and_removed_ones(self, client, seen, district):
        assert assessed(_page(client)) == 3
        assess(district["school_a1"].teachers.all()[4])
        assert assessed(_page(client)) == 4
        # An update (no signal) and a delete through the queryset.
        newest = AssessmentResult.objects.order_by("-pk").first()
        AssessmentResult.objects.filter(pk=newest.pk).update(is_latest=False)
        assert assessed(_page(client)) == 3
        AssessmentResult.objects.filter(teacher__school=district["school_a1"]).delete()
        assert assessed(_page(client)) == 0

    def test_raw_sql_on_results_with_its_bump(self, client, seen):
        from training.services import results_changed

        assert assessed(_page(client)) == 3
        with connection.cursor() as cursor:
            cursor.execute("UPDATE training_assessmentresult SET is_latest = false")
        results_changed()
        assert assessed(_page(client)) == 0

    def test_portraits_recomputed_and_updated(self, client, seen, district):
        TeacherFactory(school=district["school_a1"])
        assert "9 位教师中有 8 位已纳入统计" in _page(client)
        portraits_recompute()
        assert "已纳入统计" not in _page(client)
        Portrait.objects.update(credits_behind=False)
        assert percent(_page(client), "学时进度正常") == 100
        Portrait.objects.filter(teacher__school=district["school_a1"]).update(
            credits_behind=True
        )
        # 8 of 9 teachers (school A1 holds 7 of them) behind: 2 on track.
        assert percent(_page(client), "学时进度正常") == 22

    def test_studio_membership_and_check_in(self, client, seen, district):
        from tests.factories.site import ensure_base_content

        ensure_base_content()
        html = _page(client)
        assert percent(html, "工作室成员") == 0 and attendees(html) == 0
        leader = district["school_a1"].teachers.first()
        studio = studio_services.studio_create(
            title="张名师数学工作室",
            kind="名师",
            leader=leader.user,
            region=district["dist_a"],
            subject="数学",
        )
        assert Membership.objects.filter(teacher=leader, status="active").exists()
        assert percent(_page(client), "工作室成员") == 12  # 1 of 8
        Membership.objects.filter(teacher=leader).update(status="ended")
        assert percent(_page(client), "工作室成员") == 0
        now = timezone.now()
        activity = Activity.objects.create(
            studio=studio,
            title="函数单元集体备课",
            kind="集体备课",
            starts_at=now - datetime.timedelta(minutes=10),
            ends_at=now + datetime.timedelta(hours=2),
            place="东湖实验小学",
            hours=3,
        )
        registration = Registration.objects.create(activity=activity, teacher=leader)
        assert attendees(_page(client)) == 0
        Registration.objects.filter(pk=registration.pk).update(checked_in_at=now)
        assert attendees(_page(client)) == 1
        registration.refresh_from_db()
        registration.checked_in_at = None
        registration.save()
        assert attendees(_page(client)) == 0

    def test_a_studio_activity_in_the_ledger(self, client, seen, district):
        assert attendees(_page(client)) == 0
        ledger_record(
            teacher=district["school_a2"].teachers.first(),
            kind="studio_activity",
            source_type="studio.activity",
            title="名师工作室集体备课",
            hours=4,
        )
        assert attendees(_page(client)) == 1

    def test_her_own_record_when_she_teaches_outside_her_scope(self, client, district):
        """teachers_visible_to adds her own profile, wherever she teaches: her
        own rows are an input too."""
        her = TeacherFactory(school=district["school_b1"])
        grant(her.user, Role.HR, district["dist_a"])
        client.force_login(her.user)
        assert attendees(_page(client)) == 0
        ledger_record(
            teacher=her,
            kind="studio_activity",
            source_type="studio.activity",
            title="名师工作室集体备课",
            hours=4,
        )
        assert attendees(_page(client)) == 1

    def test_teachers_and_organisations(self, client, seen, district):
        school = district["school_a1"]
        school.name = "东湖实验小学（新校区）"
        school.save()
        assert "东湖实验小学（新校区）" in _page(client)
        assert "<td>7</td>" not in _page(client)
        mover = district["teachers"]["SB1"][0]
        mover.school = school
        mover.save()
        assert "<td>7</td>" in _page(client)  # A1's teachers

    def test_names_of_the_framework_and_levels_of_the_instrument(
        self, client, seen, district
    ):
        dimension = Competency.objects.filter(
            level=Competency.Level.DIMENSION, framework__code="jyt0646-2022"
        ).first()
        dimension.name = "数字化意识（修订）"
        dimension.save()
        assert "数字化意识（修订）" in _page(client)
        for teacher in district["school_a1"].teachers.all()[3:5]:
            assess(teacher)  # five assessed: the level chart is drawn
        assert "引领" in _page(client) and "引领级" not in _page(client)
        instrument = Instrument.objects.get(is_current=True, family="self-assessment")
        instrument.levels = [
            {**lv, "name": f"{lv['name']}级"} for lv in instrument.levels
        ]
        instrument.save()
        assert "引领级" in _page(client)


class TestScopes:
    def test_another_district_never_sees_it(self, client, seen, district):
        ours = _page(client)
        assert "东湖实验小学" in ours
        client.force_login(hr_user(district["dist_b"]))
        theirs = _page(client)
        assert theirs != ours
        assert "东湖实验小学" not in theirs and "东湖第一中学" not in theirs
        # Nor the same filters naming our school.
        assert "东湖实验小学" not in _page(client, school=district["school_a1"].pk)

    def test_her_scope_changed_is_a_new_entry(self, client, seen, district):
        assert "东湖实验小学" in _page(client)
        RoleAssignment.objects.filter(user=seen).update(organisation=district["dist_b"])
        client.force_login(seen)  # a new request reads her scopes afresh
        assert "东湖实验小学" not in _page(client)

    def test_a_teacher_is_still_refused(self, client, seen, district):
        client.force_login(district["teachers"]["SA1"][0].user)
        assert client.get(reverse("org_overview")).status_code == 403


def test_without_redis_the_page_renders_afresh(
    client, district, hr_dist_a, cache_unreachable
):
    client.force_login(hr_dist_a)
    assert assessed(_page(client)) == 3
    assess(district["school_a1"].teachers.all()[4])
    assert assessed(_page(client)) == 4
    client.force_login(hr_user(district["dist_b"]))
    assert "东湖实验小学" not in _page(client)
