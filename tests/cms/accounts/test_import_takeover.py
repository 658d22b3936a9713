"""A roster import cannot reach teachers outside the importer's scope, and
never changes who can sign in to an existing account (issue 13.1), and it
accepts every label the site shows (issue 17.3)."""

import io

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from openpyxl import load_workbook

from cms.accounts import services
from cms.accounts.models import TeacherImport, TeacherProfile, User
from tests.factories import UserFactory

from .test_teacher_import import import_roster, roster


def snapshot():
    """Everything an import could have touched, as plain values."""
    return (
        sorted(
            TeacherProfile.objects.values_list(
                "staff_number",
                "real_name",
                "school_id",
                "subjects",
                "grade_bands",
                "professional_title",
                "career_stage",
                "user_id",
            )
        ),
        sorted(User.objects.values_list("id", "email", "password")),
        sorted(EmailAddress.objects.values_list("user_id", "email", "verified")),
    )


@pytest.mark.django_db(transaction=True)
class TestCrossOrganisationImport:
    def test_hr_of_district_a_cannot_take_over_a_teacher_of_district_b(
        self, client, district_tree, hr_dist_a
    ):
        victim = district_tree["teachers"]["SB1"][0]
        before = snapshot()
        client.force_login(hr_dist_a)
        data = (
            f"姓名,工号,学校,邮箱\n冒名,{victim.staff_number},东湖实验小学,"
            "attacker@example.com\n"
        ).encode()
        from django.core.files.uploadedfile import SimpleUploadedFile

        response = client.post(
            reverse("teacher_import_upload"),
            {"file": SimpleUploadedFile("r.csv", data)},
            follow=True,
        )
        html = response.content.decode()
        assert "第 2 行：工号已属于其他单位" in html
        assert "确认导入" not in html
        imp = TeacherImport.objects.get()
        assert imp.status == TeacherImport.Status.INVALID
        # Confirming the refused roster (or a retried task) does nothing.
        client.post(reverse("teacher_import_confirm", args=[imp.pk]))
        services.teacher_import_apply(import_id=imp.pk)
        victim.refresh_from_db()
        assert victim.real_name != "冒名"
        assert victim.school == district_tree["school_b1"]
        assert victim.user.email != "attacker@example.com"
        assert snapshot() == before

    def test_without_an_email_column_the_takeover_is_refused_too(
        self, district_tree, hr_dist_a
    ):
        victim = district_tree["teachers"]["SB1"][1]
        before = snapshot()
        imp = services.teacher_import_create(
            user=hr_dist_a,
            name="r.csv",
            data=f"姓名,工号,学校\n冒名,{victim.staff_number},SA1\n".encode(),
        )
        assert imp.errors == [{"row": 2, "message": "工号已属于其他单位"}]
        assert snapshot() == before

    def test_school_hr_cannot_pull_a_teacher_from_a_sibling_school(
        self, district_tree, hr_a1
    ):
        sibling = district_tree["teachers"]["SA2"][0]
        imp = services.teacher_import_create(
            user=hr_a1,
            name="r.csv",
            data=f"姓名,工号,学校\n{sibling.real_name},{sibling.staff_number},SA1\n".encode(),
        )
        assert imp.errors == [{"row": 2, "message": "工号已属于其他单位"}]
        sibling.refresh_from_db()
        assert sibling.school == district_tree["school_a2"]

    def test_district_hr_still_moves_her_own_teacher_between_her_schools(
        self, district_tree, hr_dist_a
    ):
        teacher = district_tree["teachers"]["SA2"][0]
        imp = import_roster(
            hr_dist_a,
            f"姓名,工号,学校\n{teacher.real_name},{teacher.staff_number},SA1\n".encode(),
        )
        assert imp.status == TeacherImport.Status.DONE
        teacher.refresh_from_db()
        assert teacher.school == district_tree["school_a1"]


@pytest.mark.django_db(transaction=True)
class TestImportNeverChangesSignIn:
    def test_an_existing_teachers_email_is_never_changed(
        self, district_tree, hr_dist_a
    ):
        teacher = district_tree["teachers"]["SA1"][0]
        before = snapshot()
        imp = services.teacher_import_create(
            user=hr_dist_a,
            name="r.csv",
            data=roster(f"新名字,{teacher.staff_number},SA1,hr-owned@example.com,,,,"),
        )
        assert imp.status == TeacherImport.Status.INVALID
        assert imp.errors[0]["message"].startswith("导入不会修改已有教师的邮箱")
        assert snapshot() == before
        # The password reset still goes to her own address only.
        teacher.user.refresh_from_db()
        assert teacher.user.email != "hr-owned@example.com"
        assert not EmailAddress.objects.filter(email="hr-owned@example.com").exists()

    def test_an_address_another_account_holds_is_refused(
        self, district_tree, hr_dist_a
    ):
        other = UserFactory()
        EmailAddress.objects.create(
            user=other, email="second@example.com", verified=True, primary=False
        )
        imp = services.teacher_import_create(
            user=hr_dist_a,
            name="r.csv",
            data=roster("李明,A900,SA1,second@example.com,,,,"),
        )
        assert imp.errors == [{"row": 2, "message": "邮箱已被其他账号使用"}]

    def test_same_email_in_other_case_is_unchanged_not_an_error(
        self, district_tree, hr_dist_a
    ):
        teacher = district_tree["teachers"]["SA1"][0]
        imp = import_roster(
            hr_dist_a,
            roster(
                f"{teacher.real_name},{teacher.staff_number},SA1,"
                f"{teacher.user.email.upper()},数学,初中,,"
            ),
        )
        assert imp.status == TeacherImport.Status.DONE
        assert imp.unchanged_count == 1

    def test_linking_a_signed_up_account_does_not_verify_its_address(
        self, district_tree, hr_dist_a
    ):
        user = User.objects.create_user(
            username="self", email="self@example.com", password="x-Long-Pass-42"
        )
        EmailAddress.objects.create(
            user=user, email="self@example.com", verified=False, primary=True
        )
        import_roster(hr_dist_a, roster("自助,A901,SA1,self@example.com,,,,"))
        assert TeacherProfile.objects.get(staff_number="A901").user == user
        assert not EmailAddress.objects.get(email="self@example.com").verified

    def test_an_imported_account_never_used_may_get_its_first_address(
        self, district_tree, hr_dist_a
    ):
        import_roster(hr_dist_a, roster("李明,A902,SA1,,,,,"))
        imp = import_roster(hr_dist_a, roster("李明,A902,SA1,liming@example.com,,,,"))
        assert imp.status == TeacherImport.Status.DONE
        user = TeacherProfile.objects.get(staff_number="A902").user
        assert user.email == "liming@example.com"
        # Once she has signed in, the roster cannot change it any more.
        user.set_password("Her-Own-Pass-42")
        user.save()
        imp = services.teacher_import_create(
            user=hr_dist_a,
            name="r.csv",
            data=roster("李明,A902,SA1,other@example.com,,,,"),
        )
        assert imp.status == TeacherImport.Status.INVALID


@pytest.mark.django_db(transaction=True)
class TestLabelsTheSiteShows:
    def test_labels_and_codes_are_accepted(self, district_tree, hr_dist_a):
        data = (
            "姓名,工号,学校,任教学科,任教学段,职称,发展阶段\n"
            "甲,L1,SA1,数学 信息科技,初中、高中,一级教师,新任教师\n"
            "乙,L2,SA1,Mathematics,Junior secondary,First-level teacher,骨干教师\n"
            "丙,L3,SA1,语文,小学,,骨干\n"
            "丁,L4,SA1,英语,小学,,专家型教师\n"
        ).encode()
        imp = import_roster(hr_dist_a, data)
        assert imp.errors == []
        stages = dict(
            TeacherProfile.objects.filter(staff_number__startswith="L").values_list(
                "staff_number", "career_stage"
            )
        )
        assert stages == {"L1": "新任", "L2": "骨干", "L3": "骨干", "L4": "专家"}
        first = TeacherProfile.objects.get(staff_number="L1")
        assert first.subjects == ["数学", "信息科技"]
        assert first.grade_bands == ["初中", "高中"]

    def test_every_error_in_a_row_is_reported_with_the_accepted_values(
        self, district_tree, hr_dist_a
    ):
        data = (
            "姓名,工号,学校,邮箱,任教学科,职称,发展阶段\n"
            "甲,L1,不存在,bad-email,化学课,特级,资深\n"
        ).encode()
        imp = services.teacher_import_create(user=hr_dist_a, name="r.csv", data=data)
        messages = [e["message"] for e in imp.errors if e["row"] == 2]
        assert len(messages) == 5, messages
        assert "学校不存在" in messages
        assert "邮箱格式不正确" in messages
        assert any(m.startswith("任教学科无法识别：化学课（可填：") for m in messages)
        assert (
            "职称无法识别：特级（可填：未定级、三级教师、二级教师、一级教师、"
            "高级教师、正高级教师）"
        ) in messages
        assert (
            "发展阶段无法识别：资深（可填：新任教师、成长期教师、骨干教师、专家型教师）"
        ) in messages

    def test_the_downloadable_template_lists_the_accepted_values(
        self, client, district_tree, hr_dist_a
    ):
        client.force_login(hr_dist_a)
        response = client.get(reverse("teacher_import_template_xlsx"))
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(response.content))
        text = " ".join(
            str(c)
            for sheet in book
            for row in sheet.iter_rows(values_only=True)
            for c in row
            if c
        )
        for label in ("新任教师", "骨干教师", "正高级教师", "信息科技", "中职"):
            assert label in text
        # The template itself imports cleanly once a real school is filled in.
        sheet = book.worksheets[0]
        sheet.cell(row=2, column=3, value="东湖实验小学")
        out = io.BytesIO()
        book.save(out)
        imp = services.teacher_import_create(
            user=hr_dist_a, name="t.xlsx", data=out.getvalue()
        )
        assert imp.errors == []
