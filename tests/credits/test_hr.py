"""HR: recognition of outside learning, compliance of their own teachers, and
bulk transcript exports, never reaching outside their organisation."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from cms.accounts.models import TeacherProfile
from credits.models import CreditRecord, CreditRuleSet, ExportJob, RecognitionRequest
from credits.rules import DEFAULT_CONFIG
from credits.services import credit_record_append
from tests.hr_pages import compliance_rows

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def rules(db):
    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "全国通用", "config": DEFAULT_CONFIG},
    )


def submit(client, teacher, **overrides):
    client.force_login(teacher.user)
    data = {
        "title": "国家智慧教育平台暑期研修",
        "provider": "国家中小学智慧教育平台",
        "category": "信息技术应用",
        "hours": "10",
        "earned_on": "2026-08-20",
        "evidence": SimpleUploadedFile("证书.pdf", PDF, content_type="application/pdf"),
        **overrides,
    }
    return client.post(reverse("recognition_mine"), data, follow=True)


@pytest.mark.django_db
class TestRecognition:
    def test_teacher_submits_and_her_hr_approves(self, client, district_tree, hr_a1):
        teacher = district_tree["teachers"]["SA1"][0]
        assert "申请已提交" in submit(client, teacher).content.decode()
        req = RecognitionRequest.objects.get()
        # Stored outside MEDIA_ROOT: no media URL can serve it.
        assert not req.evidence.path.startswith(str(settings.MEDIA_ROOT))
        assert req.evidence.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
        client.force_login(hr_a1)
        assert (
            "国家智慧教育平台暑期研修"
            in client.get(reverse("recognition_queue")).content.decode()
        )
        evidence = client.get(reverse("recognition_evidence", args=[req.pk]))
        assert b"".join(evidence.streaming_content).startswith(b"%PDF")
        client.post(
            reverse("recognition_review", args=[req.pk]),
            {"decision": "approve", "hours": "8", "reason": ""},
        )
        req.refresh_from_db()
        assert req.status == "approved" and req.reviewer == hr_a1
        record = CreditRecord.objects.get(teacher=teacher)
        assert (record.hours, record.kind, record.recorded_by) == (
            Decimal("8.0"),
            "recognition",
            hr_a1,
        )
        # Deciding again changes nothing.
        client.post(
            reverse("recognition_review", args=[req.pk]), {"decision": "approve"}
        )
        assert CreditRecord.objects.filter(teacher=teacher).count() == 1

    def test_rejection_needs_a_reason_the_teacher_sees(
        self, client, district_tree, hr_a1
    ):
        teacher = district_tree["teachers"]["SA1"][0]
        submit(client, teacher)
        req = RecognitionRequest.objects.get()
        client.force_login(hr_a1)
        html = client.post(
            reverse("recognition_review", args=[req.pk]),
            {"decision": "reject", "reason": ""},
        ).content.decode()
        assert "不予认定时请填写理由" in html
        client.post(
            reverse("recognition_review", args=[req.pk]),
            {"decision": "reject", "reason": "证书与本人信息不符"},
        )
        client.force_login(teacher.user)
        html = client.get(reverse("recognition_mine")).content.decode()
        assert "未通过" in html and "证书与本人信息不符" in html
        assert not CreditRecord.objects.exists()

    def test_hr_of_another_school_sees_nothing(self, client, district_tree, hr_a1):
        stranger = district_tree["teachers"]["SB1"][0]
        submit(client, stranger)
        req = RecognitionRequest.objects.get()
        client.force_login(hr_a1)
        assert (
            "国家智慧教育平台"
            not in client.get(reverse("recognition_queue")).content.decode()
        )
        assert (
            client.get(reverse("recognition_review", args=[req.pk])).status_code == 404
        )
        assert (
            client.post(
                reverse("recognition_review", args=[req.pk]), {"decision": "approve"}
            ).status_code
            == 404
        )
        assert (
            client.get(reverse("recognition_evidence", args=[req.pk])).status_code
            == 403
        )

    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            (
                "证书.pdf",
                b"MZ\x90\x00 this is an exe",
                "文件内容与扩展名不符：这不是一个真正的 PDF 文件。",
            ),
            ("证书.docx", b"PK", "只接受 PDF、JPG、PNG 图片或 JSON 证书文件。"),
            ("badge.json", b"{not json", "该 JSON 文件无法解析"),
        ],
    )
    def test_bad_evidence_is_refused_with_a_reason(
        self, client, district_tree, name, content, message
    ):
        teacher = district_tree["teachers"]["SA1"][0]
        html = submit(
            client, teacher, evidence=SimpleUploadedFile(name, content)
        ).content.decode()
        assert message in html
        assert not RecognitionRequest.objects.exists()


def hours(teacher, n, on=None):
    credit_record_append(
        teacher=teacher,
        kind="online_course",
        category="学科",
        source_type="t",
        source_title="课程",
        hours=Decimal(n),
        earned_on=on or datetime.date.today(),
        idempotency_key=f"h:{teacher.pk}:{n}:{on}",
    )


@pytest.mark.django_db
def test_compliance_lists_only_own_teachers_and_flags_who_is_behind(
    client, district_tree, hr_dist_a, django_assert_max_num_queries
):
    a1, a2 = district_tree["teachers"]["SA1"]
    hours(a1, 40)
    hours(a2, 10)
    client.force_login(hr_dist_a)
    client.get(
        reverse("org_credits"), {"behind": "1"}
    )  # warm up first: one-off per-process queries
    # The page kept rendered: 5 queries (session, user, roles, scopes, her
    # own profile for the navigation).
    with django_assert_max_num_queries(5):
        response = client.get(reverse("org_credits"), {"behind": "1"})
    # A new record in her district: the list is rendered again (its order and
    # this page's rows); her exports stay kept.
    hours(a1, 1)
    with django_assert_max_num_queries(7):
        client.get(reverse("org_credits"), {"behind": "1"})
    rows = compliance_rows(response.content.decode())
    names = [row["real_name"] for row in rows]
    assert a2.real_name in names and a1.real_name not in names
    assert all(
        t.school.path.startswith(district_tree["dist_a"].path)
        for t in TeacherProfile.objects.filter(pk__in=[row["pk"] for row in rows])
    )
    csv_text = client.get(reverse("org_credits_csv")).content.decode("utf-8-sig")
    assert a1.real_name in csv_text
    for stranger in district_tree["teachers"]["SB1"]:
        assert stranger.real_name not in csv_text


@pytest.mark.django_db(transaction=True)
def test_bulk_export_zip_holds_a_pdf_per_own_teacher(client, district_tree, hr_a1):
    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "全国通用", "config": DEFAULT_CONFIG},
    )
    for teacher in district_tree["teachers"]["SA1"]:
        hours(teacher, 12)
    client.force_login(hr_a1)
    # A district this HR user does not administer is refused.
    response = client.post(
        reverse("export_start"), {"scope": district_tree["dist_b"].pk}, follow=True
    )
    assert "请选择您管辖范围内的学校或区县" in response.content.decode()
    response = client.post(
        reverse("export_start"), {"scope": district_tree["school_a1"].pk}
    )
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("export_detail", args=[job.pk])
    status = client.get(
        reverse("export_detail", args=[job.pk]), HTTP_ACCEPT="application/json"
    ).json()
    assert status == {"status": "done", "done": 2, "total": 2}
    archive = zipfile.ZipFile(
        io.BytesIO(
            b"".join(
                client.get(reverse("export_download", args=[job.pk])).streaming_content
            )
        )
    )
    pdfs = [n for n in archive.namelist() if n.endswith(".pdf")]
    assert len(pdfs) == 2
    assert all(n.startswith("东湖实验小学/") for n in pdfs)
    summary = load_workbook(io.BytesIO(archive.read("汇总.xlsx"))).active
    assert summary.max_row == 3
    assert job.created_by == hr_a1  # the log of who exported what
