"""The portrait in the browser: a teacher sees her radar chart and timeline,
sets a goal, shares a link showing only the sections she chose, and the link
stops working when she revokes it; a school leader sees her school's 驾驶舱 and
cannot open another school's teacher's portrait by changing the URL."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from credits.models import CreditRuleSet
from credits.rules import DEFAULT_CONFIG
from credits.services import credit_record_append
from tests.factories import OrganisationFactory, TeacherFactory, hr_user
from tests.factories.training import make_instrument
from tests.portfolios.conftest import assess

from .test_credits_journey import log_in, log_out

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_portrait_goal_share_revoke_and_leader_scope(page, browser, live_server):
    make_instrument()
    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "全国通用", "config": DEFAULT_CONFIG},
    )
    school = OrganisationFactory(name="临江市实验小学")
    other_school = OrganisationFactory(name="西山中心小学")
    teacher = TeacherFactory(real_name="林晓", school=school)
    colleagues = [TeacherFactory(school=school) for _ in range(5)]
    stranger = TeacherFactory(real_name="赵远", school=other_school)
    for person in [teacher, *colleagues[:2]]:
        assess(person, lambda n: 2 + n % 3)
    credit_record_append(
        teacher=teacher,
        kind="online_course",
        category="信息技术应用",
        source_type="courses.course",
        source_title="人工智能助力课堂教学",
        hours=Decimal(12),
        earned_on=datetime.date.today(),
        idempotency_key="e2e-portrait:1",
    )
    leader = hr_user(school)

    log_in(page, teacher.user.email)
    page.locator("header").get_by_role("link", name="我的画像").click()
    expect(page.locator("#section-profile svg")).to_be_visible()
    expect(page.locator("#section-timeline")).to_contain_text("完成数字素养自我测评")
    expect(page.locator("#section-timeline")).to_contain_text("人工智能助力课堂教学")

    page.get_by_role("link", name="设定发展目标").click()
    page.get_by_label("素养指标").select_option(
        label="3.3.2 应用数据分析模型进行学业数据分析"
    )
    page.get_by_label("目标水平").select_option("4")
    due = (datetime.date.today() + datetime.timedelta(days=120)).isoformat()
    page.get_by_label("计划完成日期").fill(due)
    page.get_by_label("计划参加的学习").fill("学习学业数据分析课程")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("发展目标已保存")
    expect(page.locator("#section-goals")).to_contain_text("3.3.2")
    expect(page.locator("#section-goals")).to_contain_text("目标水平 4")

    page.get_by_role("link", name="分享", exact=True).click()
    page.get_by_label("五维画像").check()
    page.get_by_label("证书").check()
    page.get_by_role("button", name="生成分享链接").click()
    url = page.locator(".share-url").first.input_value()
    assert re.search(r"/p/[-\w]+/$", url)

    stranger_view = browser.new_context(base_url=live_server.url)
    visitor = stranger_view.new_page()
    visitor.goto(url)
    expect(visitor.locator("#section-profile svg")).to_be_visible()
    expect(visitor.locator("main")).not_to_contain_text("成长时间线")
    expect(visitor.locator("main")).not_to_contain_text("发展目标")

    page.get_by_role("link", name="停用").click()
    page.get_by_role("button", name="确认停用").click()
    expect(page.locator(".messages")).to_contain_text("链接已停用")
    response = visitor.goto(url)
    assert response.status == 404
    stranger_view.close()

    page.goto("/portrait/views/")
    expect(page.locator("main table")).to_contain_text("未登录访客")
    log_out(page)

    from portfolios.compute import portraits_recompute

    portraits_recompute()  # what the nightly task does
    log_in(page, leader.email)
    page.locator("header").get_by_role("link", name="驾驶舱").click()
    # The figures themselves: 6 teachers in her school, 3 of them (50%) have
    # taken the self-assessment, 1 in 6 (17%) holds a credential (hers, for
    # the 12-hour course) and 1 in 6 set a goal.
    figures = page.locator("#overview-figures .card")
    expect(figures.filter(has_text="教师").first.locator(".stat")).to_have_text("6")
    expect(figures.filter(has_text="完成自我测评").locator(".stat")).to_have_text("50%")
    expect(figures.filter(has_text="持有可验证证书").locator(".stat")).to_have_text(
        "17%"
    )
    expect(figures.filter(has_text="设定了发展目标").locator(".stat")).to_have_text(
        "17%"
    )
    expect(page.locator("#schools-table")).to_contain_text("临江市实验小学")
    expect(page.locator("main")).not_to_contain_text("西山中心小学")
    response = page.goto(f"/org/portraits/{stranger.pk}/")
    assert response.status == 404
    response = page.goto(f"/org/portraits/{teacher.pk}/")
    assert response.status == 200
    expect(page.locator("h1")).to_contain_text("林晓")
