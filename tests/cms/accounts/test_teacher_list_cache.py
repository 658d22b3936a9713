"""The teacher list (/org/teachers/) is kept rendered per user and
organisation scope, school filter, page and language
(cms.accounts.views.teacher_list) under the teachers' and organisations'
version; searches run afresh. Each kind of input shows on the next request,
another organisation never gets the entry, and with Redis down the page
renders afresh."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cms.accounts import services
from cms.accounts.models import Organisation, ProfessionalTitle, TeacherProfile
from tests.factories import OrganisationFactory, TeacherFactory, hr_user
from tests.hr_pages import teacher_rows, total

pytestmark = pytest.mark.django_db

# What a repeat request may still read: the session, her user, her roles, her
# HR scopes (authorising) and her own profile (the site's navigation).
REPEAT_QUERIES = 5


@pytest.fixture
def hr_b(district_tree):
    return hr_user(district_tree["dist_b"])


def page(client, **params) -> str:
    response = client.get(reverse("teacher_list"), params)
    assert response.status_code == 200
    return response.content.decode()


def content(html: str) -> str:
    return html[html.index("<h1>") : html.index("</main>")]


def names(html: str) -> set[str]:
    return {row["real_name"] for row in teacher_rows(html)}


def row_of(html: str, teacher) -> dict:
    return next(r for r in teacher_rows(html) if r["pk"] == teacher.pk)


@pytest.fixture
def seen(client, district_tree, hr_dist_a):
    """HR of district A, signed in, her list and school A1's seen once."""
    client.force_login(hr_dist_a)
    page(client)
    page(client, school=district_tree["school_a1"].pk)
    return client


class TestRepeatRequest:
    @pytest.mark.parametrize("school", [None, "school_a1"])
    def test_is_served_kept_with_only_the_authorising_queries(
        self, seen, district_tree, school
    ):
        params = {"school": district_tree[school].pk} if school else {}
        first = page(seen, **params)
        with CaptureQueriesContext(connection) as queries:
            again = page(seen, **params)
        assert len(queries.captured_queries) <= REPEAT_QUERIES
        for query in queries.captured_queries:
            sql = query["sql"]
            if 'FROM "accounts_teacherprofile"' in sql:  # only her own profile
                assert 'WHERE "accounts_teacherprofile"."user_id" = ' in sql, sql
                assert "LIKE" not in sql and " IN (" not in sql, sql
        assert content(again) == content(first)
        assert total(again) == (2 if school else 4)

    def test_pages_and_their_links(self, seen, district_tree):
        school = district_tree["school_a1"]
        for _ in range(50):
            TeacherFactory(school=school)
        first = page(seen, school=school.pk)
        assert total(first) == 52 and len(teacher_rows(first)) == 50
        assert f'href="?school={school.pk}&amp;page=2" rel="next"' in first
        assert f'?school={school.pk}">' in first  # the export links
        second = page(seen, school=school.pk, page="2")
        assert len(teacher_rows(second)) == 2
        assert content(page(seen, school=school.pk, page="02")) == content(second)
        # Past the end: the last page; not a number: the first, as always.
        assert content(page(seen, school=school.pk, page="9")) == content(second)
        assert content(page(seen, school=school.pk, page="x")) == content(first)
        assert f'<option value="{school.pk}" selected>' in second


class TestInputsShowAtOnce:
    def test_newcomers_and_leavers(self, seen, district_tree):
        a1 = district_tree["school_a1"]
        newcomer = TeacherFactory(school=a1, real_name="新来的老师")
        assert "新来的老师" in names(page(seen))
        assert "新来的老师" in names(page(seen, school=a1.pk))
        newcomer.school = district_tree["school_b1"]
        newcomer.save()
        assert "新来的老师" not in names(page(seen))
        assert total(page(seen, school=a1.pk)) == 2
        leaver = district_tree["teachers"]["SA2"][0]
        leaver.user.delete()  # the profile goes with her account
        assert total(page(seen)) == 3

    def test_a_profile_saved_updated_or_bulk_updated(self, seen, district_tree):
        t1, t2 = district_tree["teachers"]["SA1"]
        t1.real_name = "改名之后"
        t1.save()
        assert row_of(page(seen), t1)["real_name"] == "改名之后"
        TeacherProfile.objects.filter(pk=t1.pk).update(staff_number="NEW-001")
        assert row_of(page(seen), t1)["staff_number"] == "NEW-001"
        t2.professional_title = ProfessionalTitle.choices[-1][0]
        t2.subjects = ["物理"]
        TeacherProfile.objects.bulk_update([t2], ["professional_title", "subjects"])
        html = page(seen, school=district_tree["school_a1"].pk)
        assert str(ProfessionalTitle.choices[-1][1]) in html and "物理" in html

    def test_a_teacher_import(self, seen, hr_dist_a):
        data = "姓名,工号,学校\n李明,Z1,东湖实验小学\n".encode()
        imp = services.teacher_import_create(user=hr_dist_a, name="r.csv", data=data)
        services.teacher_import_confirm(teacher_import=imp)
        services.teacher_import_apply(import_id=imp.pk)  # bulk writes: no signal
        assert TeacherProfile.objects.filter(staff_number="Z1").exists()
        assert "李明" in names(page(seen))

    def test_schools_renamed_added_and_moved(self, seen, district_tree):
        school = Organisation.objects.get(pk=district_tree["school_a1"].pk)
        school.name = "东湖实验小学（新校区）"
        school.save()
        t1 = district_tree["teachers"]["SA1"][0]
        assert row_of(page(seen), t1)["school"] == "东湖实验小学（新校区）"
        new = OrganisationFactory(parent=district_tree["dist_a"], name="东湖新校")
        assert f'<option value="{new.pk}">东湖新校</option>' in page(seen)
        school.move(
            Organisation.objects.get(pk=district_tree["dist_b"].pk), "last-child"
        )
        html = page(seen)
        assert total(html) == 2 and f'<option value="{school.pk}"' not in html
        # Her kept page of that school: not hers any more, so nobody.
        html = page(seen, school=school.pk)
        assert total(html) == 0 and 'aria-invalid="true"' in html

    def test_searches_run_afresh(self, seen, district_tree):
        t1 = district_tree["teachers"]["SA1"][0]
        assert names(page(seen, q="new-address")) == set()
        # An e-mail address: nothing the kept pages' version tracks.
        t1.user.email = "new-address@example.com"
        t1.user.save()
        assert names(page(seen, q="new-address")) == {t1.real_name}

    def test_the_language(self, seen):
        assert "教师名单</h1>" in page(seen)
        seen.cookies["django_language"] = "en"
        assert "教师名单</h1>" not in page(seen)
        del seen.cookies["django_language"]
        assert "教师名单</h1>" in page(seen)


class TestScopes:
    def test_another_district_never_gets_the_entry(self, seen, district_tree, hr_b):
        ours = {
            t.real_name for s in ("SA1", "SA2") for t in district_tree["teachers"][s]
        }
        theirs = {t.real_name for t in district_tree["teachers"]["SB1"]}
        seen.force_login(hr_b)
        for _round in range(2):  # rendered, then kept
            assert names(page(seen)) == theirs
            html = page(seen, school=district_tree["school_a1"].pk)
            assert not names(html) & ours and total(html) == 0

    def test_a_school_id_as_the_select_never_sends_it_is_refused_as_ever(
        self, seen, district_tree
    ):
        school = district_tree["school_a1"].pk
        for value in (f"0{school}", f" {school}", "0", "x"):
            html = page(seen, school=value)
            assert total(html) == 0 and 'aria-invalid="true"' in html, value

    def test_a_teacher_is_refused_even_when_kept(self, seen, district_tree):
        seen.force_login(district_tree["teachers"]["SA1"][0].user)
        assert seen.get(reverse("teacher_list")).status_code == 403


def test_redis_down_still_renders_correctly(
    client, district_tree, hr_dist_a, cache_unreachable
):
    client.force_login(hr_dist_a)
    assert total(page(client)) == 4
    TeacherFactory(school=district_tree["school_a1"], real_name="断线时的新教师")
    html = page(client)
    assert total(html) == 5 and "断线时的新教师" in names(html)
    html = page(client, school=district_tree["school_a1"].pk)
    assert total(html) == 3 and "断线时的新教师" in names(html)
