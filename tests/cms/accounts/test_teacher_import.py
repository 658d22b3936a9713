"""Bulk import of teachers: preview, row-level errors, all-or-nothing, re-import."""

import io

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import Workbook

from cms.accounts import services
from cms.accounts.importing import RosterError
from cms.accounts.models import Role, TeacherImport, TeacherProfile, User
from tests.factories import UserFactory

HEADER = "姓名,工号,学校,邮箱,任教学科,任教学段,职称,身份证号\n"
VALID_ID = "11010519491231002X"  # a checksum-valid number from the GB 11643 example


def roster(*lines: str) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode("utf-8")


def import_roster(user, data: bytes, name="roster.csv") -> TeacherImport:
    imp = services.teacher_import_create(user=user, name=name, data=data)
    if imp.status == TeacherImport.Status.PREVIEW:
        services.teacher_import_confirm(teacher_import=imp)
    imp.refresh_from_db()
    return imp


@pytest.mark.django_db(transaction=True)
class TestImportService:
    def test_valid_roster_creates_teachers_who_can_be_found(
        self, district_tree, hr_dist_a
    ):
        imp = import_roster(
            hr_dist_a,
            roster(
                f"李明,A100,东湖实验小学,liming@example.com,数学、信息科技,小学,一级教师,{VALID_ID}",
                "王芳,A101,SA2,,语文,初中,,",
            ),
        )
        assert imp.status == TeacherImport.Status.DONE
        assert (imp.created_count, imp.updated_count) == (2, 0)
        li = TeacherProfile.objects.get(staff_number="A100")
        assert li.real_name == "李明"
        assert li.school == district_tree["school_a1"]
        assert li.subjects == ["数学", "信息科技"]
        assert li.user.email == "liming@example.com"
        assert li.national_id_masked.endswith("002X")
        assert Role.TEACHER in set(
            li.user.role_assignments.values_list("role", flat=True)
        )
        wang = TeacherProfile.objects.get(staff_number="A101")
        assert wang.school == district_tree["school_a2"]  # matched by organisation code

    def test_national_id_is_never_stored_in_clear(self, district_tree, hr_dist_a):
        import_roster(hr_dist_a, roster(f"李明,A100,东湖实验小学,,,,,{VALID_ID}"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM accounts_teacherprofile")
            dumped = repr(cursor.fetchall())
            cursor.execute(
                "SELECT rows::text FROM accounts_teacherimport"
                if connection.vendor == "postgresql"
                else "SELECT rows FROM accounts_teacherimport"
            )
            dumped += repr(cursor.fetchall())
        assert VALID_ID not in dumped
        assert VALID_ID[:14] not in dumped

    def test_one_bad_row_rejects_the_whole_file_and_changes_nothing(
        self, district_tree, hr_dist_a
    ):
        before = (TeacherProfile.objects.count(), User.objects.count())
        imp = services.teacher_import_create(
            user=hr_dist_a,
            name="r.csv",
            data=roster(
                "李明,A100,东湖实验小学,,,,,",
                "赵磊,A101,不存在的学校,,,,,",
                "孙丽,A102,东湖实验小学,not-an-email,,,,",
                ",A103,东湖实验小学,,,,,",
                "周强,A100,东湖实验小学,,,,,",
                "吴静,A104,东湖实验小学,,化学课,,,",
                "郑浩,A105,东湖实验小学,,,,,110105194912310021",
            ),
        )
        assert imp.status == TeacherImport.Status.INVALID
        messages = [(e["row"], e["message"]) for e in imp.errors]
        assert (3, "学校不存在") in messages
        assert (4, "邮箱格式不正确") in messages
        assert (5, "姓名不能为空") in messages
        assert (6, "工号 A100 与第 2 行重复") in messages
        assert any(
            row == 7 and m.startswith("任教学科无法识别：化学课（可填：语文、数学")
            for row, m in messages
        )
        assert (8, "身份证号格式或校验位不正确") in messages
        assert 2 not in {row for row, _ in messages}
        assert (TeacherProfile.objects.count(), User.objects.count()) == before
        # An invalid roster cannot be confirmed.
        services.teacher_import_confirm(teacher_import=imp)
        assert TeacherProfile.objects.count() == before[0]

    def test_a_school_outside_the_importers_scope_does_not_exist_for_her(
        self, district_tree, hr_a1
    ):
        imp = services.teacher_import_create(
            user=hr_a1,
            name="r.csv",
            data=roster(
                "李明,A100,东湖第一中学,,,,,",
            ),
        )
        assert imp.errors == [{"row": 2, "message": "学校不存在"}]

    def test_reimporting_the_same_file_creates_no_duplicates(
        self, district_tree, hr_dist_a
    ):
        data = roster(
            "李明,A100,东湖实验小学,liming@example.com,数学,小学,一级教师,",
            "王芳,A101,东湖第一中学,wangfang@example.com,语文,初中,二级教师,",
        )
        import_roster(hr_dist_a, data)
        counts = (TeacherProfile.objects.count(), User.objects.count())
        again = import_roster(hr_dist_a, data)
        assert (again.created_count, again.updated_count, again.unchanged_count) == (
            0,
            0,
            2,
        )
        assert (TeacherProfile.objects.count(), User.objects.count()) == counts

    def test_reimport_with_changes_updates_in_place(self, district_tree, hr_dist_a):
        import_roster(hr_dist_a, roster("李明,A100,东湖实验小学,,数学,小学,一级教师,"))
        imp = import_roster(
            hr_dist_a, roster("李明,A100,东湖第一中学,,数学,初中,高级教师,")
        )
        assert (imp.created_count, imp.updated_count) == (0, 1)
        li = TeacherProfile.objects.get(staff_number="A100")
        assert (li.school.code, li.professional_title, li.grade_bands) == (
            "SA2",
            "高级教师",
            ["初中"],
        )

    def test_a_teacher_who_signed_up_first_is_linked_by_email(
        self, district_tree, hr_dist_a
    ):
        user = UserFactory(email="early@example.com")
        import_roster(hr_dist_a, roster("早鸟,A200,东湖实验小学,early@example.com,,,,"))
        assert TeacherProfile.objects.get(staff_number="A200").user == user

    def test_email_of_another_teacher_is_refused(self, district_tree, hr_dist_a):
        taken = district_tree["teachers"]["SA1"][0].user.email
        imp = services.teacher_import_create(
            user=hr_dist_a,
            name="r.csv",
            data=roster(
                f"李明,A100,东湖实验小学,{taken},,,,",
            ),
        )
        assert imp.errors == [{"row": 2, "message": "邮箱已被其他教师使用"}]

    def test_confirming_twice_imports_once(self, district_tree, hr_dist_a):
        imp = services.teacher_import_create(
            user=hr_dist_a,
            name="r.csv",
            data=roster(
                "李明,A100,东湖实验小学,,,,,",
            ),
        )
        services.teacher_import_confirm(teacher_import=imp)
        services.teacher_import_confirm(teacher_import=imp)
        services.teacher_import_apply(import_id=imp.pk)  # a retried task
        assert TeacherProfile.objects.filter(staff_number="A100").count() == 1
        imp.refresh_from_db()
        assert imp.created_count == 1

    def test_gb18030_csv_is_read(self, district_tree, hr_dist_a):
        data = (HEADER + "李明,A100,东湖实验小学,,数学,小学,一级教师,\n").encode(
            "gb18030"
        )
        imp = import_roster(hr_dist_a, data)
        assert imp.status == TeacherImport.Status.DONE
        assert TeacherProfile.objects.get(staff_number="A100").real_name == "李明"

    def test_utf8_with_bom_is_read(self, district_tree, hr_dist_a):
        data = "\ufeff".encode() + roster("李明,A100,东湖实验小学,,,,,")
        assert import_roster(hr_dist_a, data).status == TeacherImport.Status.DONE

    def test_xlsx_is_read(self, district_tree, hr_dist_a):
        book = Workbook()
        sheet = book.active
        sheet.append(["姓名", "工号", "学校", "职称"])
        sheet.append(["李明", 100234, "东湖实验小学", "一级教师"])
        out = io.BytesIO()
        book.save(out)
        imp = import_roster(hr_dist_a, out.getvalue(), name="名单.xlsx")
        assert imp.status == TeacherImport.Status.DONE
        assert TeacherProfile.objects.get(staff_number="100234").real_name == "李明"

    @pytest.mark.parametrize(
        ("name", "data", "message"),
        [
            ("roster.pdf", b"%PDF-1.4", "只支持 CSV 或 XLSX 文件。"),
            ("roster.csv", b"", "文件是空的，或第 1 行没有表头。"),
            (
                "roster.csv",
                "姓名,学校\n李明,东湖实验小学\n".encode(),
                "表头缺少必填列：工号。",
            ),
            ("roster.csv", HEADER.encode(), "文件中没有数据行。"),
            (
                "roster.xlsx",
                b"PK\x03\x04 not really a workbook",
                "无法读取该 XLSX 文件，请确认文件未损坏。",
            ),
            (
                "roster.csv",
                b"\xff\xfe\x00\xd8\x00",
                "无法识别文件编码，请另存为 UTF-8 或 GB18030 编码的 CSV。",
            ),
        ],
    )
    def test_unreadable_files_are_refused_with_a_reason(
        self, district_tree, hr_dist_a, name, data, message
    ):
        with pytest.raises(RosterError, match=message):
            services.teacher_import_create(user=hr_dist_a, name=name, data=data)
        assert not TeacherImport.objects.exists()

    def test_five_thousand_rows_import(self, district_tree, hr_dist_a):
        lines = [
            f"教师{i},B{i:05d},东湖实验小学,b{i}@example.com,数学,小学,二级教师,"
            for i in range(5000)
        ]
        imp = import_roster(hr_dist_a, roster(*lines))
        assert imp.status == TeacherImport.Status.DONE
        assert imp.created_count == 5000
        assert (
            TeacherProfile.objects.filter(staff_number__startswith="B").count() == 5000
        )


@pytest.mark.django_db(transaction=True)
class TestImportPages:
    def upload(self, client, data, name="roster.csv"):
        return client.post(
            reverse("teacher_import_upload"), {"file": _named(data, name)}, follow=True
        )

    def test_preview_then_confirm(self, client, district_tree, hr_dist_a):
        client.force_login(hr_dist_a)
        response = self.upload(client, roster("李明,A100,东湖实验小学,,数学,小学,,"))
        html = response.content.decode()
        assert "所有行都已通过检查" in html and "李明" in html
        assert not TeacherProfile.objects.filter(staff_number="A100").exists()
        imp = TeacherImport.objects.get()
        response = client.post(
            reverse("teacher_import_confirm", args=[imp.pk]), follow=True
        )
        assert "导入完成" in response.content.decode()
        assert TeacherProfile.objects.filter(staff_number="A100").exists()
        status = client.get(reverse("teacher_import_status", args=[imp.pk])).json()
        assert (status["status"], status["processed"], status["created"]) == (
            "done",
            1,
            1,
        )

    def test_errors_are_listed_per_row(self, client, district_tree, hr_dist_a):
        client.force_login(hr_dist_a)
        html = self.upload(
            client,
            roster(
                "李明,A100,东湖实验小学,,,,,",
                "赵磊,A101,不存在的学校,,,,,",
            ),
        ).content.decode()
        assert "第 3 行：学校不存在" in html
        assert "整份名单未导入" in html
        assert "确认导入" not in html

    def test_wrong_file_type_message_on_the_form(
        self, client, district_tree, hr_dist_a
    ):
        client.force_login(hr_dist_a)
        html = self.upload(client, b"hello", name="roster.txt").content.decode()
        assert "只支持 CSV 或 XLSX 文件。" in html
        assert not TeacherImport.objects.exists()


def _named(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)
