"""What HR pages keep per organisation scope (cms/accounts/scopecache.py):
each change of an input shows on the next request, and no two scopes ever
share a cached answer."""

import re

import pytest
from django.urls import reverse

from cms.accounts.models import Organisation, RoleAssignment, TeacherProfile
from credits.models import CreditRuleSet
from credits.services import credit_totals_rebuild
from tests.factories import TeacherFactory, hr_user
from tests.factories.credits import ledger_record, national_rules
from tests.factories.training import make_instrument
from tests.hr_pages import compliance_rows
from training import services as training_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(district_tree):
    national_rules()
    return district_tree


@pytest.fixture
def hr_b(world):
    return hr_user(world["dist_b"])


def names_on_compliance(client, **params):
    response = client.get(reverse("org_credits"), params)
    assert response.status_code == 200
    return [row["real_name"] for row in compliance_rows(response.content.decode())]


def count_on_teacher_list(client, **params):
    html = client.get(reverse("teacher_list"), params).content.decode()
    return int(re.search(r"共 (\d+) 位教师", html).group(1))


def assess(teacher):
    attempt = training_services.attempt_start(teacher=teacher)
    items = attempt.instrument.items.values_list("id", flat=True)
    training_services.answers_save(attempt=attempt, answers={i: 3 for i in items})
    return training_services.attempt_submit(attempt=attempt)


class TestCompliance:
    def test_a_new_ledger_record_reorders_the_list_at_once(
        self, client, world, hr_dist_a
    ):
        a1, a2 = world["teachers"]["SA1"]
        ledger_record(teacher=a2, hours=10)
        client.force_login(hr_dist_a)
        assert names_on_compliance(client, order="-hours")[0] == a2.real_name
        ledger_record(teacher=a1, hours=50)
        response = client.get(reverse("org_credits"), {"order": "-hours"})
        first = compliance_rows(response.content.decode())[0]
        assert first["real_name"] == a1.real_name and first["cycle_hours"] == 50

    def test_a_record_in_another_district_leaves_ours_cached_but_correct(
        self, client, world, hr_dist_a, django_assert_max_num_queries
    ):
        client.force_login(hr_dist_a)
        before = names_on_compliance(client, order="-hours")
        ledger_record(teacher=world["teachers"]["SB1"][0], hours=50)
        with django_assert_max_num_queries(12):
            assert names_on_compliance(client, order="-hours") == before

    def test_a_new_teacher_and_a_moved_teacher_show_at_once(
        self, client, world, hr_dist_a, hr_b
    ):
        client.force_login(hr_dist_a)
        names_on_compliance(client)
        newcomer = TeacherFactory(school=world["school_a2"])
        assert newcomer.real_name in names_on_compliance(client)
        client.force_login(hr_b)
        mover = world["teachers"]["SB1"][0]
        assert mover.real_name in names_on_compliance(client)
        mover.school = world["school_a1"]
        mover.save()
        assert mover.real_name not in names_on_compliance(client)
        client.force_login(hr_dist_a)
        assert mover.real_name in names_on_compliance(client)

    def test_a_rule_change_shows_at_once(self, client, world, hr_dist_a):
        a1 = world["teachers"]["SA1"][0]
        ledger_record(teacher=a1, hours=40)
        client.force_login(hr_dist_a)
        assert a1.real_name not in names_on_compliance(client, behind="1")
        rules = CreditRuleSet.objects.get(region=None)
        config = dict(rules.config)
        config["cycle"] = {**config["cycle"], "min_hours_per_year": 50}
        rules.config = config
        rules.save()
        assert a1.real_name in names_on_compliance(client, behind="1")

    def test_a_rebuild_of_the_totals_shows_at_once(self, client, world, hr_dist_a):
        client.force_login(hr_dist_a)
        last = names_on_compliance(client, order="-hours")[-1]
        teacher = TeacherProfile.objects.get(real_name=last)
        ledger_record(teacher=teacher, hours=30)
        credit_totals_rebuild()
        assert names_on_compliance(client, order="-hours")[0] == last

    def test_an_erased_name_takes_its_place_in_the_order_at_once(
        self, client, world, hr_dist_a
    ):
        from cms.accounts.privacy import ERASED_NAME
        from portfolios.services import teacher_data_erase

        client.force_login(hr_dist_a)
        before = names_on_compliance(client, order="name")
        teacher_data_erase(TeacherProfile.objects.get(real_name=before[-1]))
        in_order = list(
            TeacherProfile.objects.filter(school__path__startswith=world["dist_a"].path)
            .order_by("real_name", "id")
            .values_list("real_name", flat=True)
        )
        assert in_order[-1] != ERASED_NAME  # it moved
        assert names_on_compliance(client, order="name") == in_order


class TestTeacherCounts:
    def test_the_teacher_list_counts_newcomers_and_leavers_at_once(
        self, client, world, hr_dist_a
    ):
        client.force_login(hr_dist_a)
        assert count_on_teacher_list(client) == 4
        assert count_on_teacher_list(client, school=world["school_a1"].pk) == 2
        TeacherFactory(school=world["school_a1"])
        assert count_on_teacher_list(client) == 5
        assert count_on_teacher_list(client, school=world["school_a1"].pk) == 3
        leaver = world["teachers"]["SA2"][0]
        leaver.school = world["school_b1"]
        leaver.save()
        assert count_on_teacher_list(client) == 4

    def test_a_school_moved_to_another_district_leaves_the_count_at_once(
        self, client, world, hr_dist_a
    ):
        client.force_login(hr_dist_a)
        assert count_on_teacher_list(client) == 4
        school = Organisation.objects.get(pk=world["school_a2"].pk)
        school.move(Organisation.objects.get(pk=world["dist_b"].pk), "last-child")
        assert count_on_teacher_list(client) == 2

    def test_the_dashboard_summary_counts_a_new_teacher_at_once(
        self, client, world, hr_dist_a
    ):
        client.force_login(hr_dist_a)
        assert client.get(reverse("dashboard")).context["summary"]["teachers"] == 4
        TeacherFactory(school=world["school_a2"])
        assert client.get(reverse("dashboard")).context["summary"]["teachers"] == 5


class TestChoices:
    PAGES = ("teacher_list", "org_credits", "org_overview", "org_assessment")

    def test_a_new_school_is_offered_at_once_and_only_in_its_scope(
        self, client, world, hr_dist_a, hr_b
    ):
        from tests.factories import OrganisationFactory

        make_instrument()
        for user in (hr_dist_a, hr_b):
            client.force_login(user)
            for name in self.PAGES:
                assert "东湖新校" not in client.get(reverse(name)).content.decode()
        school = OrganisationFactory(parent=world["dist_a"], name="东湖新校")
        option = f'<option value="{school.pk}"'
        client.force_login(hr_dist_a)
        for name in self.PAGES:
            assert option in client.get(reverse(name)).content.decode(), name
        client.force_login(hr_b)
        for name in self.PAGES:
            assert option not in client.get(reverse(name)).content.decode(), name


class TestFigures:
    def test_the_overview_counts_a_moved_teacher_at_once(
        self, client, world, hr_dist_a
    ):
        make_instrument()
        client.force_login(hr_dist_a)
        assert client.get(reverse("org_overview")).context["total"] == 4
        mover = world["teachers"]["SB1"][0]
        mover.school = world["school_a1"]
        mover.save()
        response = client.get(reverse("org_overview"))
        assert response.context["total"] == 5
        assert "教师数" in response.content.decode()

    def test_the_distribution_counts_a_moved_teacher_at_once(
        self, client, world, hr_dist_a
    ):
        make_instrument()
        for teacher in world["teachers"]["SB1"]:
            assess(teacher)
        client.force_login(hr_dist_a)
        response = client.get(reverse("org_assessment"))
        assert response.context["distribution"]["total"] == 0
        mover = world["teachers"]["SB1"][0]
        mover.school = world["school_a1"]
        mover.save()
        response = client.get(reverse("org_assessment"))
        assert response.context["distribution"]["total"] == 1


class TestScopesNeverShare:
    PAGES = ("org_credits", "teacher_list", "org_overview", "org_assessment")

    def test_two_districts_see_only_their_own_cached_or_not(
        self, client, world, hr_dist_a, hr_b
    ):
        make_instrument()
        ours = [t.real_name for s in ("SA1", "SA2") for t in world["teachers"][s]]
        theirs = [t.real_name for t in world["teachers"]["SB1"]]
        for _round in range(2):  # rendered, then from the cache
            for user, mine, others in ((hr_dist_a, ours, theirs), (hr_b, theirs, ours)):
                client.force_login(user)
                listed = names_on_compliance(client)
                assert sorted(listed) == sorted(mine)
                html = client.get(reverse("teacher_list")).content.decode()
                assert all(n in html for n in mine)
                assert not any(n in html for n in others)
                total = client.get(reverse("org_overview")).context["total"]
                assert total == len(mine)
                summary = client.get(reverse("dashboard")).context["summary"]
                assert summary["teachers"] == len(mine)

    def test_a_changed_scope_is_a_new_key(self, client, world):
        hr = hr_user(world["dist_a"])
        client.force_login(hr)
        assert count_on_teacher_list(client) == 4
        RoleAssignment.objects.filter(user=hr).update(organisation=world["dist_b"])
        client.force_login(hr)  # a new request reads her scopes afresh
        assert count_on_teacher_list(client) == 2
        names = names_on_compliance(client)
        assert sorted(names) == sorted(t.real_name for t in world["teachers"]["SB1"])
