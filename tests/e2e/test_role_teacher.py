"""A teacher's journey from her dashboard to each of her features, by clicking,
on desktop and phone: her report and its recommendations (a course she enrols
in), the catalogue, her learning, credits, credentials, portrait and evidence,
a studio activity happening now where she checks in. Screenshots in
var/e2e-screenshots/; axe-core on the key pages."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e import roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

viewport = roles.viewport_fixture()


def test_teacher_reaches_every_feature_from_her_dashboard(page):
    world = roles.seed_world()
    role = "teacher"
    roles.log_in(page, world["teacher"].user.email)
    roles.visit(page, role, "01-dashboard", axe=True)

    # Self-assessment: her report, its radar and recommendations that lead somewhere.
    page.get_by_role("link", name="查看报告").click()
    roles.visit(page, role, "02-report", axe=True)
    roles.radar_labels_fit(page)
    recommendations = page.locator(".recommendations li")
    expect(recommendations.first).to_contain_text("推荐理由")
    expect(recommendations.first).to_contain_text(world["weak"].code)
    page.locator(".recommendations").get_by_role(
        "link", name="数据驱动的精准教学", exact=True
    ).click()
    roles.visit(page, role, "03-course", axe=True)
    page.locator("#enrol-button").click()
    expect(page.locator("#enrolment")).to_contain_text("学习中")

    # The catalogue (filters folded on a phone).
    roles.back_to_dashboard(page)
    page.locator("#teacher-work").get_by_role(
        "link", name=re.compile("课程目录")
    ).click()
    roles.visit(page, role, "04-catalogue", axe=True)
    more = page.locator("#more-filters")
    if roles.size_name(page) == "phone":
        expect(page.locator("#dimension")).to_be_hidden()
        more.locator("summary").click()
    expect(page.locator("#dimension")).to_be_visible()

    # Her learning: continue the course she enrolled in.
    roles.back_to_dashboard(page)
    page.locator("#teacher-work").get_by_role(
        "link", name=re.compile("我的学习")
    ).click()
    roles.visit(page, role, "05-learning", axe=True)
    page.locator("#my-courses").get_by_role("link", name="数据驱动的精准教学").click()
    expect(page.locator("h1")).to_contain_text("数据驱动的精准教学")

    # Credits and credentials.
    roles.back_to_dashboard(page)
    page.get_by_role("link", name="进入学分银行").click()
    roles.visit(page, role, "06-credits", axe=True)
    expect(page.locator("main")).to_contain_text("人工智能助力课堂教学")
    roles.back_to_dashboard(page)
    page.locator("#teacher-work").get_by_role(
        "link", name=re.compile("我的证书")
    ).click()
    roles.visit(page, role, "07-credentials", axe=True)

    # Portrait, evidence and sharing.
    roles.back_to_dashboard(page)
    page.locator("#teacher-work").get_by_role(
        "link", name=re.compile("我的画像")
    ).click()
    roles.visit(page, role, "08-portrait", axe=True)
    roles.radar_labels_fit(page)
    page.get_by_role("link", name="我的成果").click()
    roles.visit(page, role, "09-evidence", axe=True)
    # Her studio leader is offered as a reviewer.
    page.goto("/portrait/")
    page.get_by_role("link", name="分享", exact=True).click()
    roles.visit(page, role, "10-share")

    # A studio activity happening now: she checks in with the code.
    roles.back_to_dashboard(page)
    page.locator("#teacher-work").get_by_role(
        "link", name=re.compile("双名工作室")
    ).click()
    roles.visit(page, role, "11-studios", axe=True)
    page.get_by_role("link", name="数据驱动名师工作室").first.click()
    roles.visit(page, role, "12-studio")
    page.get_by_role("link", name="听评课：数据看板进课堂").click()
    roles.visit(page, role, "13-activity", axe=True)
    page.get_by_label("签到码").fill(world["activity"].code)
    page.get_by_role("button", name="签到").click()
    expect(page.locator(".messages")).to_contain_text("签到成功")
    roles.shoot(page, role, "14-checked-in")
