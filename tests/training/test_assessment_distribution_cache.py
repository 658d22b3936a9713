"""The assessment distribution is kept rendered per user, scope, school
filter, page, language and day (training/views_org.py, `pagecache.fragment`):
a repeat visit reads one entry and no result; every kind of input shows on
the next request; no HR user of another organisation is ever shown it;
without Redis it renders afresh."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cms.accounts.models import RoleAssignment
from tests.factories import OrganisationFactory, TeacherFactory, hr_user
from tests.factories.training import make_instrument
from tests.hr_pages import tables_read
from training import services
from training.models import AssessmentAttempt, AssessmentResult, Competency

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


def assess(teacher, value=3):
    attempt = services.attempt_start(teacher=teacher)
    items = attempt.instrument.items.values_list("id", flat=True)
    services.answers_save(attempt=attempt, answers={i: value for i in items})
    return services.attempt_submit(attempt=attempt)


def _page(client, **params) -> str:
    response = client.get(reverse("org_assessment"), params)
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("<h1>") : html.index("</main>")]


def assessed(html: str) -> int:
    found = re.search(r'data-assessed="(\d+)"', html)
    return int(found.group(1)) if found else 0


@pytest.fixture
def district(district_tree):
    """Six assessed teachers at school A1 (their distribution is shown)."""
    make_instrument()
    for _ in range(4):
        TeacherFactory(school=district_tree["school_a1"])
    for teacher in district_tree["school_a1"].teachers.all():
        assess(teacher)
    return district_tree


@pytest.fixture
def seen(client, district, hr_dist_a):
    """District A's HR signed in, the distribution rendered once (so kept)."""
    client.force_login(hr_dist_a)
    _page(client)
    return hr_dist_a


class TestKept:
    def test_a_repeat_visit_reads_no_result(self, client, seen):
        first = _page(client)
        with CaptureQueriesContext(connection) as queries:
            again = _page(client)
        assert again == first and assessed(again) == 6
        # Authorising only (the HR scopes) beside the site's own reads: no
        # results, no version query.
        assert tables_read(queries) <= AUTHORISING, tables_read(queries)
        assert len(queries.captured_queries) <= 5

    def test_the_school_filter_is_normalised(self, client, seen, district):
        school = district["school_a1"].pk
        plain = _page(client, school=school)
        assert _page(client, school=f"00{school}", junk="x") == plain
        assert _page(client, school="东湖") == _page(client)
        assert f"?school={school}" in plain and "junk" not in plain
        assert f'value="{school}" selected' in plain
        assert assessed(_page(client, school="9" * 40)) == 0

    def test_each_language_has_its_own_entry(self, client, seen):
        assert "各学校" in _page(client)
        client.cookies["django_language"] = "en"
        assert "各学校" not in _page(client)
        del client.cookies["django_language"]
        assert "各学校" in _page(client)


class TestPages:
    @pytest.fixture
    def schools(self, district):
        """21 more schools with an assessed teacher each: two pages."""
        for n in range(21):
            school = OrganisationFactory(parent=district["dist_a"], name=f"分校{n:02d}")
            assess(TeacherFactory(school=school))
        return district

    def test_page_numbers_read_as_the_paginator_does(self, client, schools, hr_dist_a):
        client.force_login(hr_dist_a)
        first, last = _page(client), _page(client, page=2)
        assert first != last and "第 2 / 2 页" in last
        assert _page(client, page="abc") == first == _page(client, page="1.0")
        for number in ("0", "-1", "3", "999999", "9" * 40):
            assert _page(client, page=number) == last, number
        assert "?page=2" in first

    def test_a_new_school_on_the_last_page_shows_at_once(
        self, client, schools, hr_dist_a
    ):
        client.force_login(hr_dist_a)
        assert "新分校" not in _page(client, page=2)
        school = OrganisationFactory(parent=schools["dist_a"], name="新分校")
        assess(TeacherFactory(school=school))
        assert "新分校" in _page(client, page=2)


class TestInputsShowAtOnce:
    def test_results_added_updated_and_removed(self, client, seen, district):
        assess(district["school_a2"].teachers.first())
        assert assessed(_page(client)) == 7
        newest = AssessmentResult.objects.order_by("-pk").first()
        AssessmentResult.objects.filter(pk=newest.pk).update(is_latest=False)
        assert assessed(_page(client)) == 6
        AssessmentResult.objects.filter(pk=newest.pk).update(is_latest=True)
        assert assessed(_page(client)) == 7
        AssessmentResult.objects.filter(pk=newest.pk).delete()
        assert assessed(_page(client)) == 6
        AssessmentAttempt.objects.filter(
            teacher=district["school_a1"].teachers.first()
        ).delete()  # her result goes with her attempt
        assert assessed(_page(client)) == 5

    def test_results_written_in_bulk_as_the_seeds_do(self, client, seen, district):
        model = AssessmentResult.objects.filter(is_latest=True).first()
        teacher = district["school_a2"].teachers.first()
        attempt = AssessmentAttempt.objects.create(
            teacher=teacher,
            instrument=model.instrument,
            status=AssessmentAttempt.Status.SUBMITTED,
            submitted_at=timezone.now(),
        )
        AssessmentResult.objects.bulk_create(
            [
                AssessmentResult(
                    attempt=attempt,
                    teacher=teacher,
                    instrument=model.instrument,
                    overall_score=model.overall_score,
                    overall_level=model.overall_level,
                    scores=model.scores,
                    term=model.term,
                    submitted_at=attempt.submitted_at,
                )
            ]
        )
        assert assessed(_page(client)) == 7

    def test_an_erasure(
        self, client, seen, district, django_capture_on_commit_callbacks
    ):
        from portfolios.services import teacher_data_erase

        with django_capture_on_commit_callbacks(execute=True):
            teacher_data_erase(district["school_a1"].teachers.first())
        assert assessed(_page(client)) == 5

    def test_raw_sql_on_results_with_its_bump(self, client, seen):
        assert assessed(_page(client)) == 6
        with connection.cursor() as cursor:
            cursor.execute("UPDATE training_assessmentresult SET is_latest = false")
        services.results_changed()
        assert assessed(_page(client)) == 0

    def test_teachers_and_organisations(self, client, seen, district):
        school = district["school_a1"]
        school.name = "东湖实验小学（新校区）"
        school.save()
        assert "东湖实验小学（新校区）" in _page(client)
        mover = district["teachers"]["SB1"][0]
        assess(mover)
        assert assessed(_page(client)) == 6
        mover.school = district["school_a2"]
        mover.save()
        assert assessed(_page(client)) == 7

    def test_names_of_the_framework_and_levels_of_the_instrument(self, client, seen):
        from training.models import Instrument

        dimension = Competency.objects.filter(
            level=Competency.Level.DIMENSION, framework__code="jyt0646-2022"
        ).first()
        dimension.name = "数字化意识（修订）"
        dimension.save()
        assert "数字化意识（修订）" in _page(client)
        assert "<th>引领</th>" in _page(client)
        instrument = Instrument.objects.get(is_current=True, family="self-assessment")
        instrument.levels = [
            {**lv, "name": f"{lv['name']}级"} for lv in instrument.levels
        ]
        instrument.save()
        assert "<th>引领级</th>" in _page(client)


class TestScopes:
    def test_another_district_never_sees_it(self, client, seen, district):
        ours = _page(client)
        assert "东湖实验小学" in ours and assessed(ours) == 6
        client.force_login(hr_user(district["dist_b"]))
        theirs = _page(client)
        assert theirs != ours and assessed(theirs) == 0
        assert "东湖实验小学" not in theirs
        # Nor with the filter naming our school.
        named = _page(client, school=district["school_a1"].pk)
        assert assessed(named) == 0 and "东湖实验小学" not in named

    def test_her_scope_changed_is_a_new_entry(self, client, seen, district):
        assert assessed(_page(client)) == 6
        RoleAssignment.objects.filter(user=seen).update(organisation=district["dist_b"])
        client.force_login(seen)  # a new request reads her scopes afresh
        assert assessed(_page(client)) == 0

    def test_a_teacher_is_still_refused(self, client, seen, district):
        client.force_login(district["teachers"]["SA1"][0].user)
        assert client.get(reverse("org_assessment")).status_code == 403


def test_without_redis_the_page_renders_afresh(
    client, district, hr_dist_a, cache_unreachable
):
    client.force_login(hr_dist_a)
    assert assessed(_page(client)) == 6
    assess(district["school_a2"].teachers.first())
    assert assessed(_page(client)) == 7
    client.force_login(hr_user(district["dist_b"]))
    assert "东湖实验小学" not in _page(client)
