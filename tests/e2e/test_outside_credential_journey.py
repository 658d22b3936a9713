"""A credential from elsewhere in the browser: a teacher uploads an Open Badges
3.0 credential another province's credit bank signed (a did:web served on
127.0.0.1, trusted by the registry), sees how it converted, HR of her school
approve it with the verification in view, and her credits and portrait name
where the hours came from."""

import datetime
import json
import re

import pytest
from playwright.sync_api import expect

from credits.models import CreditRecord, CreditRuleSet
from credits.rules import DEFAULT_CONFIG
from tests.badges.outside_issuer import OtherIssuer, serve
from tests.factories import OrganisationFactory, TeacherFactory, hr_user

from .test_credits_journey import log_in, log_out

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def other_platform(settings):
    with serve() as (port, served):
        settings.OUTSIDE_CREDENTIAL_INSECURE_HOSTS = ["127.0.0.1"]
        issuer = OtherIssuer(name="某省终身学习学分银行", port=port, served=served)
        issuer.trust()
        yield issuer


def test_upload_convert_approve_and_see_the_origin(page, tmp_path, other_platform):
    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "全国通用：五年一周期 360 学时", "config": DEFAULT_CONFIG},
    )
    school = OrganisationFactory(name="临江市实验小学")
    teacher = TeacherFactory(real_name="林晓", school=school)
    hr = hr_user(school)
    credential = tmp_path / "credential.json"
    credential.write_text(
        json.dumps(
            other_platform.badge(1, credits=2, status_index=42), ensure_ascii=False
        ),
        encoding="utf-8",
    )

    log_in(page, teacher.user.email)
    page.goto("/credits/recognition/")
    page.get_by_role("link", name="导入校外证书").click()
    page.get_by_label("或选择文件").set_input_files(str(credential))
    page.get_by_role("button", name="核验并提交认定").click()
    expect(page.locator(".messages")).to_contain_text("证书已核验并提交认定")
    expect(page.locator("#outside-trust")).to_contain_text("本平台认可的签发方")
    expect(page.locator(".conversion-steps").first).to_contain_text(
        "按 1 学分 = 10 学时折算：20.0 学时"
    )
    log_out(page)

    log_in(page, hr.email)
    page.locator("header").get_by_role("link", name="学分认定").click()
    expect(page.locator("main table")).to_contain_text("已核验")
    page.locator("main table").get_by_role("link", name="审核", exact=True).click()
    expect(page.locator("#outside-verification")).to_contain_text(
        "某省终身学习学分银行"
    )
    expect(
        page.locator('#outside-verification tr[data-check="signature"]')
    ).to_contain_text("通过")
    page.get_by_label("认定", exact=True).check()
    page.get_by_role("button", name="提交审核结果").click()
    expect(page.locator(".messages")).to_contain_text("已处理")
    record = CreditRecord.objects.get(teacher=teacher)
    assert record.source_type == "credits.outside" and float(record.hours) == 20.0
    log_out(page)

    log_in(page, teacher.user.email)
    page.goto("/credits/")
    expect(page.locator("td.origin").first).to_have_text("某省终身学习学分银行")
    page.goto("/portrait/")
    expect(page.locator("#section-timeline")).to_contain_text(
        re.compile("20.0 学时 · 来源：某省终身学习学分银行")
    )
