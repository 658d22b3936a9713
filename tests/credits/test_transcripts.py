"""A teacher sees her cycle progress and downloads her transcript; anyone can
verify it from its QR code."""

import datetime
import json
import re
import subprocess

import pytest
from django.urls import reverse

from credits.data import SourceKind
from credits.models import Transcript
from tests.factories import TeacherFactory
from tests.factories.credits import ledger_record, national_rules

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher(db):
    national_rules()
    teacher = TeacherFactory(real_name="林晓")
    today = datetime.date.today()
    for n, (title, category, hours) in enumerate(
        [
            ("人工智能助力课堂教学", "信息技术应用", 12),
            ("新时代师德师风专题培训", "思政师德", 8),
            ("大单元教学设计与实施", "学科", 16),
        ]
    ):
        ledger_record(
            teacher=teacher,
            category=category,
            source_id=n,
            title=title,
            hours=hours,
            earned_on=today,
            key=f"t:{n}",
        )
    return teacher


def test_my_credits_shows_progress_and_records(
    client, teacher, django_assert_max_num_queries
):
    client.force_login(teacher.user)
    client.get(reverse("my_credits"))  # warm up first: one-off per-process queries
    with django_assert_max_num_queries(6):
        response = client.get(reverse("my_credits"))
    html = response.content.decode()
    assert "人工智能助力课堂教学" in html
    assert '<span class="stat">36.0</span> / 360' in html
    # The IT quota: 12 of 54 hours, not met.
    it = html[html.index("<td>信息技术应用</td>") :]
    assert it.startswith("<td>信息技术应用</td><td>12.0</td><td>54.0 </td>")


def test_transcript_pdf_has_chinese_and_a_qr_code_to_the_verify_page(
    client, teacher, tmp_path
):
    client.force_login(teacher.user)
    response = client.get(reverse("my_transcript_pdf"))
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert (
        "继续教育学时证明" in text and "林晓" in text and "人工智能助力课堂教学" in text
    )
    transcript = Transcript.objects.get(teacher=teacher)
    assert transcript.code in text
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "200",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    page = next(tmp_path.glob("page*.png"))
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(page)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert decoded.endswith(f"/verify/transcript/{transcript.code}/")
    path = re.sub(r"^https?://[^/]+", "", decoded)
    client.logout()
    html = client.get(path).content.decode()
    assert "这份学时证明与学分银行账本中的记录一致" in html
    assert "林*" in html and "林晓" not in html


def test_downloading_again_reuses_the_transcript_until_records_change(client, teacher):
    client.force_login(teacher.user)
    client.get(reverse("my_transcript_pdf"))
    client.get(reverse("my_transcript_csv"))
    assert Transcript.objects.count() == 1
    ledger_record(
        teacher=teacher,
        kind="school_based",
        category="通识",
        source_type=SourceKind.RECOGNITION,
        title="校本研修",
        hours=6,
        key="t:new",
    )
    client.get(reverse("my_transcript_pdf"))
    assert Transcript.objects.count() == 2


def test_spreadsheet_and_json_hold_the_same_records(client, teacher):
    client.force_login(teacher.user)
    csv_text = client.get(reverse("my_transcript_csv")).content.decode("utf-8-sig")
    assert csv_text.count("\n") == 4 and "大单元教学设计与实施" in csv_text
    data = json.loads(client.get(reverse("my_transcript_json")).content)
    assert data["totals"] == {"hours": "36.0", "credits": "3.60"}
    assert len(data["records"]) == 3
    assert client.get(reverse("my_transcript_xlsx")).content[:2] == b"PK"


def test_unknown_code_is_a_clear_message(client):
    html = client.get(reverse("transcript_lookup"), {"code": "NOPE"}).content.decode()
    assert "没有找到这个验证码对应的学时证明" in html
    assert client.get(reverse("transcript_verify", args=["NOPE"])).status_code == 404


def test_only_teachers_have_credit_pages(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("my_credits")).status_code == 404


def test_markup_in_titles_and_names_is_printed_as_text(client, teacher, tmp_path):
    """A title, note or name holding <, > or & (long enough to wrap) is
    printed as it is: not taken for markup, and no failed PDF (a bulk export
    would stop at it)."""
    teacher.real_name = "林<晓>&"
    teacher.save(update_fields=["real_name"])
    long_title = "数据 <script> 与 R&D：课堂教学中的证据、推理与表达（第二期）"
    ledger_record(
        teacher=teacher,
        category="学科",
        source_id=99,
        title=long_title,
        hours=2,
        earned_on=datetime.date.today(),
        key="t:markup",
    )
    client.force_login(teacher.user)
    response = client.get(reverse("my_transcript_pdf"))
    assert response.status_code == 200
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", long_title) in flat
    assert "林<晓>&" in flat
