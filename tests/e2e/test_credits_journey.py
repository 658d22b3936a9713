"""The credit bank in the browser: a teacher sees her credits and downloads her
transcript; she asks for recognition of outside learning; HR of her school
approves it and exports a ZIP of transcripts for the school."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from credits.models import CreditRecord, CreditRuleSet
from credits.rules import DEFAULT_CONFIG
from credits.services import credit_record_append
from tests.factories import PASSWORD, OrganisationFactory, TeacherFactory, hr_user

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
        source_type="training.course",
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
    assert response.ok and response.body().startswith(b"%PDF")

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
    page.locator("#scope").select_option(label="临江市实验小学（学校）")
    page.locator("#start-export").click()
    expect(page.locator("#download-export")).to_be_visible()
    expect(page.locator("#export-status")).to_contain_text("共 2 位教师")
    zip_response = page.request.get(
        page.locator("#download-export").get_attribute("href")
    )
    assert zip_response.ok and zip_response.body()[:2] == b"PK"
