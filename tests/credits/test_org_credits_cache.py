"""The credit compliance page (/org/credits/) is kept rendered per user and
organisation scope (credits.views_org.org_credits): the list under the rule
sets', teachers' and her scope's credit totals' versions, her recent exports
under her own export jobs' version. Each kind of input shows on the next
request, another organisation never gets the entry, and with Redis down the
page renders afresh."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cms.accounts.models import Organisation, TeacherProfile
from cms.shared import jobs, pagecache
from credits.models import CreditRuleSet, ExportJob
from credits.services import credit_record_reverse, credit_totals_rebuild
from tests.factories import OrganisationFactory, TeacherFactory, hr_user
from tests.factories.credits import ledger_record, national_rules
from tests.hr_pages import compliance_rows, total

pytestmark = pytest.mark.django_db

# What a repeat request may still read: the session, her user, her roles, her
# HR scopes (authorising) and her own profile (the site's navigation).
REPEAT_QUERIES = 5
# Tables only the kept parts read.
KEPT_TABLES = (
    "credits_credityeartotal",
    "credits_creditruleset",
    "credits_exportjob",
    '"accounts_teacherprofile"."id" IN',
)


@pytest.fixture
def world(district_tree):
    national_rules()
    return district_tree


@pytest.fixture
def hr_b(world):
    return hr_user(world["dist_b"])


def page(client, **params) -> str:
    response = client.get(reverse("org_credits"), params)
    assert response.status_code == 200
    return response.content.decode()


def content(html: str) -> str:
    """The page's own part, without the CSRF token (masked afresh each time)."""
    main = html[html.index("<h1>") : html.index("</main>")]
    return re.sub(r'(name="csrfmiddlewaretoken" value=)"[^"]+"', r"\1", main)


def row_of(html: str, teacher) -> dict:
    return next(r for r in compliance_rows(html) if r["pk"] == teacher.pk)


def jobs_listed(html: str) -> list[tuple[str, str]]:
    section = html[html.index('id="export-heading"') :]
    return re.findall(
        r'<li><a href="/org/credits/exports/\d+/">([^<]*)</a> · [^·]+ · ([^<]*)</li>',
        section,
    )


@pytest.fixture
def seen(client, world, hr_dist_a):
    """HR of district A, signed in, her page seen once (so kept)."""
    client.force_login(hr_dist_a)
    page(client)
    return client


class TestRepeatRequest:
    def test_is_served_kept_with_only_the_authorising_queries(self, seen):
        first = page(seen)
        with CaptureQueriesContext(connection) as queries:
            again = page(seen)
        assert len(queries.captured_queries) <= REPEAT_QUERIES
        for query in queries.captured_queries:
            assert not any(table in query["sql"] for table in KEPT_TABLES), query
        assert content(again) == content(first)
        assert total(again) == 4

    def test_each_filter_order_and_page_is_its_own_entry(self, seen, world):
        a1, a2 = world["teachers"]["SA1"]
        ledger_record(teacher=a1, hours=50)
        by_hours = [r["real_name"] for r in compliance_rows(page(seen, order="-hours"))]
        assert by_hours[0] == a1.real_name
        ascending = [r["real_name"] for r in compliance_rows(page(seen))]
        assert ascending[-1] == a1.real_name
        behind = [r["real_name"] for r in compliance_rows(page(seen, behind="1"))]
        assert a1.real_name not in behind and len(behind) == 3
        # An unknown order is the default one, as the list has always read it.
        assert compliance_rows(page(seen, order="bogus")) == compliance_rows(page(seen))
        html = page(seen, order="-hours", behind="1", page="1")
        assert "?order=-hours&amp;behind=1" in html  # the export links
        assert 'value="-hours" selected' in html and 'value="1" checked' in html

    def test_the_csrf_token_is_hers_and_live(self, world, hr_dist_a):
        client = Client(enforce_csrf_checks=True)
        client.force_login(hr_dist_a)
        page(client)
        html = page(client)  # from the cache
        assert pagecache.csrf_slot() not in html
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        # A scope outside hers: refused by the view (a redirect), not by CSRF.
        outside = world["dist_b"].pk
        response = client.post(
            reverse("export_start"), {"scope": outside, "csrfmiddlewaretoken": token}
        )
        assert response.status_code == 302
        response = client.post(
            reverse("export_start"), {"scope": outside, "csrfmiddlewaretoken": "x" * 64}
        )
        assert response.status_code == 403


class TestInputsShowAtOnce:
    def test_a_new_record_and_a_reversal(self, seen, world):
        a1 = world["teachers"]["SA1"][0]
        record = ledger_record(teacher=a1, hours=12)
        assert row_of(page(seen), a1)["cycle_hours"] == 12
        credit_record_reverse(record=record, reason="重复记录")
        assert row_of(page(seen), a1)["cycle_hours"] == 0

    def test_a_rebuild_of_the_totals(self, seen, world):
        a1 = world["teachers"]["SA1"][0]
        ledger_record(teacher=a1, hours=8)
        page(seen)
        credit_totals_rebuild()
        assert row_of(page(seen), a1)["cycle_hours"] == 8

    def test_a_rule_set_change(self, seen, world):
        a1 = world["teachers"]["SA1"][0]
        ledger_record(teacher=a1, hours=40)
        assert not row_of(page(seen), a1)["behind"]
        rules = CreditRuleSet.objects.get(region=None)
        rules.name = "修订后的全国规则"
        rules.config = {
            **rules.config,
            "cycle": {**rules.config["cycle"], "min_hours_per_year": 50},
        }
        rules.save()
        html = page(seen)
        assert "修订后的全国规则" in html and row_of(html, a1)["behind"]

    def test_a_regional_rule_set_for_her_district(self, seen, world):
        CreditRuleSet.objects.create(
            region=world["dist_a"],
            name="东湖区规则",
            effective_from=datetime.date(2021, 1, 1),
            config=CreditRuleSet.objects.get(region=None).config,
        )
        assert "东湖区规则" in page(seen)

    def test_a_renamed_teacher_saved_updated_or_bulk_updated(self, seen, world):
        a1, a2 = world["teachers"]["SA1"]
        a1.real_name = "改名之后"
        a1.save()
        assert row_of(page(seen), a1)["real_name"] == "改名之后"
        TeacherProfile.objects.filter(pk=a1.pk).update(real_name="再次改名")
        assert row_of(page(seen), a1)["real_name"] == "再次改名"
        a2.real_name = "批量改名"
        TeacherProfile.objects.bulk_update([a2], ["real_name"])
        assert row_of(page(seen), a2)["real_name"] == "批量改名"

    def test_a_renamed_school(self, seen, world):
        school = Organisation.objects.get(pk=world["school_a1"].pk)
        school.name = "东湖实验小学（新校区）"
        school.save()
        a1 = world["teachers"]["SA1"][0]
        assert row_of(page(seen), a1)["school"] == "东湖实验小学（新校区）"

    def test_newcomers_leavers_and_a_moved_school(self, seen, world):
        newcomer = TeacherFactory(school=world["school_a2"], real_name="新来的老师")
        html = page(seen)
        assert total(html) == 5 and row_of(html, newcomer)
        newcomer.delete()
        assert total(page(seen)) == 4
        school = Organisation.objects.get(pk=world["school_a2"].pk)
        school.move(Organisation.objects.get(pk=world["dist_b"].pk), "last-child")
        assert total(page(seen)) == 2

    def test_her_export_jobs_as_they_progress(self, seen, world, hr_dist_a, hr_b):
        assert jobs_listed(page(seen)) == []
        job = ExportJob.objects.create(created_by=hr_dist_a, scope=world["school_a1"])
        assert jobs_listed(page(seen)) == [("东湖实验小学", "排队中")]
        assert jobs.job_claim(jobs.EXPORT, job.pk)  # an update(): no signal
        assert jobs_listed(page(seen)) == [("东湖实验小学", "生成中")]
        jobs.job_fail(jobs.EXPORT, job.pk, "出错了")
        assert jobs_listed(page(seen)) == [("东湖实验小学", "失败")]
        job.refresh_from_db()
        job.status = ExportJob.Status.DONE
        job.save(update_fields=["status"])
        assert jobs_listed(page(seen)) == [("东湖实验小学", "已完成")]
        # Someone else's export is not hers.
        ExportJob.objects.create(created_by=hr_b, scope=world["dist_b"])
        assert jobs_listed(page(seen)) == [("东湖实验小学", "已完成")]
        job.delete()
        assert jobs_listed(page(seen)) == []

    def test_an_export_scope_renamed_and_a_new_one_offered(
        self, seen, world, hr_dist_a
    ):
        ExportJob.objects.create(created_by=hr_dist_a, scope=world["dist_a"])
        assert jobs_listed(page(seen)) == [("东湖区", "排队中")]
        district = Organisation.objects.get(pk=world["dist_a"].pk)
        district.name = "东湖新区"
        district.save()
        html = page(seen)
        assert jobs_listed(html) == [("东湖新区", "排队中")]
        assert "东湖新区（" in html  # the scope's option
        school = OrganisationFactory(parent=world["dist_a"], name="东湖新校")
        assert f'<option value="{school.pk}"' in page(seen)

    def test_the_language(self, seen):
        assert "学分达标情况</h1>" in page(seen)
        seen.cookies["django_language"] = "en"
        assert "学分达标情况</h1>" not in page(seen)
        del seen.cookies["django_language"]
        assert "学分达标情况</h1>" in page(seen)


class TestScopes:
    def test_another_district_never_gets_the_entry(self, seen, world, hr_b):
        ours = {t.real_name for s in ("SA1", "SA2") for t in world["teachers"][s]}
        theirs = {t.real_name for t in world["teachers"]["SB1"]}
        seen.force_login(hr_b)
        for _round in range(2):  # rendered, then kept
            names = {r["real_name"] for r in compliance_rows(page(seen))}
            assert names == theirs and not names & ours

    def test_a_changed_scope_is_a_new_entry(self, seen, world, hr_dist_a):
        from cms.accounts.models import RoleAssignment

        RoleAssignment.objects.filter(user=hr_dist_a).update(
            organisation=world["dist_b"]
        )
        seen.force_login(hr_dist_a)
        names = {r["real_name"] for r in compliance_rows(page(seen))}
        assert names == {t.real_name for t in world["teachers"]["SB1"]}

    def test_a_teacher_is_refused_even_when_kept(self, seen, world):
        seen.force_login(world["teachers"]["SA1"][0].user)
        assert seen.get(reverse("org_credits")).status_code == 403


def test_redis_down_still_renders_correctly(
    client, world, hr_dist_a, cache_unreachable
):
    client.force_login(hr_dist_a)
    a1 = world["teachers"]["SA1"][0]
    assert row_of(page(client), a1)["cycle_hours"] == 0
    ledger_record(teacher=a1, hours=6)
    ExportJob.objects.create(created_by=hr_dist_a, scope=world["school_a1"])
    html = page(client)
    assert row_of(html, a1)["cycle_hours"] == 6 and total(html) == 4
    assert jobs_listed(html) == [("东湖实验小学", "排队中")]
    assert pagecache.csrf_slot() not in html and "csrfmiddlewaretoken" in html
