"""The credit bank in the browser: a teacher sees her credits and downloads her
transcript; she asks for recognition of outside learning; HR of her school
approves it and exports a ZIP of transcripts for the school."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from credits.models import CreditRecord, CreditRuleSet, Transcript
from credits.rules import DEFAULT_CONFIG
from credits.services import credit_record_append
from tests.factories import PASSWORD, OrganisationFactory, TeacherFactory, hr_user

from .downloads import pdf_qr, pdf_text, xlsx_rows, zip_members

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, email):
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def log_out(page):
    page.locator("details.account-menu summary").click()
    page.locator("details.account-menu button[type=submit]").click()


def test_credits_transcript_recognition_and_hr_export(page, tmp_path):
    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "全国通用：五年一周期 360 学时", "config": DEFAULT_CONFIG},
    )
    school = OrganisationFactory(name="临江市实验小学")
    teacher = TeacherFactory(real_name="林晓", school=school)
    TeacherFactory(school=school)
    hr = hr_user(school)
    credit_record_append(
        teacher=teacher,
        kind="online_course",
        category="信息技术应用",
        source_type="courses.course",
        source_title="人工智能助力课堂教学",
        hours=Decimal(12),
        earned_on=datetime.date.today(),
        idempotency_key="e2e:1",
    )

    log_in(page, teacher.user.email)
    page.get_by_role("link", name="进入学分银行").click()
    expect(page.locator("main")).to_contain_text("人工智能助力课堂教学")
    expect(page.locator(".stat")).to_have_text("12.0")
    response = page.request.get(page.locator("#transcript-pdf").get_attribute("href"))
    assert response.ok
    # The transcript as she would open it: her name, the course and its hours,
    # and a QR code that leads to the public check of this very transcript.
    text = pdf_text(response.body(), tmp_path / "pdf")
    assert "林晓" in text and "人工智能助力课堂教学" in text
    assert re.search(r"人工智能助力课堂教学.*\b12(\.0+)?\b", text), text
    transcript = Transcript.objects.filter(teacher=teacher).latest("pk")
    assert transcript.code in text
    scanned = pdf_qr(response.body(), tmp_path / "qr")
    assert scanned.endswith(f"/verify/transcript/{transcript.code}/"), scanned
    verify = page.request.get(re.sub(r"^https?://[^/]+", "", scanned))
    assert verify.ok and "林" in verify.text() and transcript.code in verify.text()

    page.get_by_role("link", name="申请校外学习认定").click()
    page.get_by_label("学习内容").fill("国家智慧教育平台暑期研修")
    page.get_by_label("举办单位").fill("国家中小学智慧教育平台")
    page.get_by_label("类别").select_option("信息技术应用")
    page.get_by_label("学时").fill("10")
    page.get_by_label("完成日期").fill("2026-08-20")
    certificate = tmp_path / "证书.pdf"
    certificate.write_bytes(b"%PDF-1.4\n%%EOF\n")
    page.get_by_label("证明材料").set_input_files(str(certificate))
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".messages")).to_contain_text("申请已提交")
    expect(page.locator("main table")).to_contain_text("待审核")
    log_out(page)

    log_in(page, hr.email)
    page.locator("header").get_by_role("link", name="学分认定").click()
    page.locator("main table").get_by_role("link", name="审核", exact=True).click()
    page.get_by_label("认定", exact=True).check()
    page.get_by_role("button", name="提交审核结果").click()
    expect(page.locator(".messages")).to_contain_text("已处理")
    assert CreditRecord.objects.filter(teacher=teacher, kind="recognition").exists()

    page.locator("header").get_by_role("link", name="学分达标").click()
    expect(page.locator("main table")).to_contain_text("林晓")
    # The compliance spreadsheet: her row with 22 hours (12 and the 10 just
    # recognised), and her colleague's.
    sheet = page.request.get(
        page.get_by_role("link", name="导出 Excel").get_attribute("href")
    )
    assert sheet.ok
    rows = xlsx_rows(sheet.body())
    assert rows[0] == ("姓名", "工号", "学校", "本周期学时", "本年度学时", "是否落后")
    lin = [row for row in rows[1:] if row[0] == "林晓"]
    assert len(lin) == 1 and len(rows) == 3, rows
    assert lin[0][2] == "临江市实验小学" and float(lin[0][3]) == 22.0, lin
    page.locator("#scope").select_option(label="临江市实验小学（学校）")
    page.locator("#start-export").click()
    expect(page.locator("#download-export")).to_be_visible()
    expect(page.locator("#export-status")).to_contain_text("共 2 位教师")
    zip_response = page.request.get(
        page.locator("#download-export").get_attribute("href")
    )
    assert zip_response.ok
    # The ZIP as HR would unpack it: one transcript per teacher of the school
    # and the summary sheet; her transcript names her and her 22 hours.
    members = zip_members(zip_response.body())
    pdfs = sorted(name for name in members if name.endswith(".pdf"))
    assert len(pdfs) == 2 and "汇总.xlsx" in members, sorted(members)
    assert all(name.startswith("临江市实验小学/") for name in pdfs)
    (hers,) = [name for name in pdfs if name.endswith("-林晓.pdf")]
    text = pdf_text(members[hers], tmp_path / "zip")
    assert "林晓" in text and "国家智慧教育平台暑期研修" in text
    summary = xlsx_rows(members["汇总.xlsx"])
    assert summary[0][:5] == ("姓名", "工号", "学校", "周期", "学时")
    (row,) = [r for r in summary[1:] if r[0] == "林晓"]
    assert float(row[4]) == 22.0 and len(summary) == 3, summary
