"""A trainer from her dashboard to her courses, grading queue, check-in
screens, score import and evidence reviews, by clicking, on desktop and phone."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e import roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

viewport = roles.viewport_fixture()


def test_trainer_reaches_her_work_from_the_dashboard(page):
    world = roles.seed_world()
    role = "trainer"
    roles.log_in(page, world["trainer"].email)
    roles.visit(page, role, "01-dashboard", axe=True)
    work = page.locator("#trainer-work")
    work.get_by_role("link", name="数据驱动的精准教学").click()
    roles.visit(page, role, "02-course")
    roles.back_to_dashboard(page)

    page.locator("#trainer-work").get_by_role(
        "link", name=re.compile("作业批改")
    ).click()
    roles.visit(page, role, "03-grading", axe=True)
    page.locator("main table").get_by_role("link", name="批改").first.click()
    roles.visit(page, role, "04-grade", axe=True)
    expect(page.locator("main")).to_contain_text("我的教学设计")
    roles.back_to_dashboard(page)

    page.locator("#trainer-work").get_by_role("link", name="打开签到屏幕").first.click()
    roles.visit(page, role, "05-check-in-screen", axe=True)
    expect(page.locator("main")).to_contain_text(world["course"].sessions.get().code)
    roles.back_to_dashboard(page)

    page.locator("#trainer-work").get_by_role("link", name="导入线下成绩").click()
    roles.visit(page, role, "06-scores-import", axe=True)
    roles.back_to_dashboard(page)

    page.locator("#trainer-work").get_by_role(
        "link", name=re.compile("成果评价")
    ).click()
    roles.visit(page, role, "07-reviews", axe=True)
