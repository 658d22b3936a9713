"""An HR user sees her own organisation's teachers and nobody else's: by the
scoping helper, by page, by export and by guessing URLs."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cms.accounts import scoping
from cms.accounts.models import Role
from tests.factories import PASSWORD, TeacherFactory, UserFactory, grant


def staff_numbers(teachers):
    return {t.staff_number for t in teachers}


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
class TestTeachersVisibleTo:
    def test_school_hr_sees_only_her_school(self, district_tree, hr_a1):
        seen = staff_numbers(scoping.teachers_visible_to(hr_a1))
        assert seen == staff_numbers(district_tree["teachers"]["SA1"])

    def test_district_hr_sees_every_school_below_the_district(
        self, district_tree, hr_dist_a
    ):
        seen = staff_numbers(scoping.teachers_visible_to(hr_dist_a))
        expected = staff_numbers(
            district_tree["teachers"]["SA1"] + district_tree["teachers"]["SA2"]
        )
        assert seen == expected

    def test_teacher_sees_only_herself(self, district_tree):
        teacher = district_tree["teachers"]["SB1"][0]
        assert list(scoping.teachers_visible_to(teacher.user)) == [teacher]

    def test_platform_admin_sees_everyone(self, district_tree):
        admin = grant(UserFactory(), Role.PLATFORM_ADMIN)
        assert scoping.teachers_visible_to(admin).count() == 6

    def test_hr_of_two_schools_sees_both_and_her_own_profile(
        self, district_tree, hr_a1
    ):
        own = TeacherFactory(user=hr_a1, school=district_tree["school_a2"])
        grant(hr_a1, Role.HR, district_tree["school_b1"])
        hr_a1.__dict__.pop("_hr_scopes_cache", None)
        seen = staff_numbers(scoping.teachers_visible_to(hr_a1))
        expected = staff_numbers(
            district_tree["teachers"]["SA1"] + district_tree["teachers"]["SB1"]
        )
        assert seen == expected | {own.staff_number}

    def test_anonymous_sees_nobody(self, district_tree):
        from django.contrib.auth.models import AnonymousUser

        assert scoping.teachers_visible_to(AnonymousUser()).count() == 0

    def test_similar_paths_do_not_leak(self, district_tree):
        # Sibling paths share prefixes with their parent only, never each other.
        a1, a2 = district_tree["school_a1"], district_tree["school_a2"]
        assert not a2.path.startswith(a1.path)


@pytest.mark.django_db
class TestPagesAreScoped:
    def test_list_page_shows_only_own_school(self, client, district_tree, hr_a1):
        html = login(client, hr_a1).get(reverse("teacher_list")).content.decode()
        for teacher in district_tree["teachers"]["SA1"]:
            assert teacher.real_name in html
        for teacher in (
            district_tree["teachers"]["SA2"] + district_tree["teachers"]["SB1"]
        ):
            assert teacher.real_name not in html
        assert "西山中心小学" not in html  # not even offered as a filter

    def test_filtering_by_another_schools_id_shows_nothing(
        self, client, district_tree, hr_a1
    ):
        other = district_tree["school_b1"]
        response = login(client, hr_a1).get(
            reverse("teacher_list"), {"school": other.pk}
        )
        html = response.content.decode()
        for teacher in district_tree["teachers"]["SB1"]:
            assert teacher.real_name not in html

    def test_guessing_another_teachers_url_is_not_found(
        self, client, district_tree, hr_a1
    ):
        stranger = district_tree["teachers"]["SB1"][0]
        response = login(client, hr_a1).get(
            reverse("teacher_detail", args=[stranger.pk])
        )
        assert response.status_code == 404
        mine = district_tree["teachers"]["SA1"][0]
        assert (
            login(client, hr_a1)
            .get(reverse("teacher_detail", args=[mine.pk]))
            .status_code
            == 200
        )

    def test_csv_export_holds_only_own_teachers(self, client, district_tree, hr_dist_a):
        response = login(client, hr_dist_a).get(reverse("teacher_export_csv"))
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["姓名", "工号", "学校"]
        exported = {row[1] for row in rows[1:]}
        expected = staff_numbers(
            district_tree["teachers"]["SA1"] + district_tree["teachers"]["SA2"]
        )
        assert exported == expected

    def test_xlsx_export_holds_only_own_teachers(self, client, district_tree, hr_a1):
        response = login(client, hr_a1).get(reverse("teacher_export_xlsx"))
        sheet = load_workbook(io.BytesIO(response.content)).active
        exported = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
        assert exported == staff_numbers(district_tree["teachers"]["SA1"])

    def test_export_with_a_foreign_school_filter_is_empty(
        self, client, district_tree, hr_a1
    ):
        response = login(client, hr_a1).get(
            reverse("teacher_export_csv"), {"school": district_tree["school_b1"].pk}
        )
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert len(rows) == 1

    def test_teacher_cannot_open_admin_pages(self, client, district_tree):
        teacher = district_tree["teachers"]["SA1"][0]
        login(client, teacher.user)
        for name in ("teacher_list", "teacher_export_csv", "teacher_import_upload"):
            assert client.get(reverse(name)).status_code == 403
        other = district_tree["teachers"]["SA1"][1]
        assert client.get(reverse("teacher_detail", args=[other.pk])).status_code == 404

    def test_anonymous_is_sent_to_login(self, client, district_tree):
        response = client.get(reverse("teacher_list"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))

    def test_someone_elses_import_is_not_found(
        self, client, district_tree, hr_a1, hr_dist_a
    ):
        from cms.accounts import services

        data = "姓名,工号,学校\n李明,Z1,东湖实验小学\n".encode()
        imp = services.teacher_import_create(user=hr_dist_a, name="r.csv", data=data)
        login(client, hr_a1)
        assert (
            client.get(reverse("teacher_import_detail", args=[imp.pk])).status_code
            == 404
        )
        assert (
            client.post(reverse("teacher_import_confirm", args=[imp.pk])).status_code
            == 404
        )

    def test_list_page_query_count_does_not_grow(
        self, client, district_tree, hr_dist_a, django_assert_max_num_queries
    ):
        login(client, hr_dist_a)
        client.get(
            reverse("teacher_list")
        )  # warm up first: one-off per-process queries
        # 5 with the page kept rendered (session, user, roles, scopes, her
        # own profile for the navigation); 8 when new teachers make it read
        # the school choices, the order and the page's rows again.
        with django_assert_max_num_queries(5):
            client.get(reverse("teacher_list"))
        for _ in range(30):
            TeacherFactory(school=district_tree["school_a2"])
        with django_assert_max_num_queries(8):
            response = client.get(reverse("teacher_list"))
        assert "共 34 位教师" in response.content.decode()


def test_factories_password_logs_in(client, db):
    user = UserFactory()
    assert client.login(username=user.username, password=PASSWORD)
