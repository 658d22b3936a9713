"""A studio leader from her dashboard to her studio's management, by
clicking, on desktop and phone: members (an application to approve), a new
activity, the activity happening now with its check-in code, writing, drafts
and the review queues."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e import roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

viewport = roles.viewport_fixture()


def test_leader_reaches_her_studio_management(page):
    world = roles.seed_world()
    role = "studio-leader"
    roles.log_in(page, world["leader"].user.email)
    roles.visit(page, role, "01-dashboard", axe=True)
    work = page.locator("#leader-work")
    work.get_by_role("link", name="数据驱动名师工作室").click()
    roles.visit(page, role, "02-studio", axe=True)
    roles.back_to_dashboard(page)

    page.locator("#leader-work").get_by_role(
        "link", name=re.compile("成员管理")
    ).click()
    roles.visit(page, role, "03-members", axe=True)
    page.locator("#members-table tr", has_text="待审核").get_by_role(
        "button", name="通过", exact=True
    ).click()
    expect(page.locator(".messages")).to_contain_text("已处理")
    roles.back_to_dashboard(page)

    page.locator("#leader-work").get_by_role("link", name="发布研修活动").click()
    roles.visit(page, role, "04-new-activity", axe=True)
    roles.back_to_dashboard(page)

    page.locator("#leader-work").get_by_role(
        "link", name="听评课：数据看板进课堂"
    ).click()
    roles.visit(page, role, "05-activity", axe=True)
    expect(page.locator("#code")).to_have_text(world["activity"].code)
    roles.back_to_dashboard(page)

    page.locator("#leader-work").get_by_role("link", name="写文章").click()
    roles.visit(page, role, "06-write", axe=True)
    roles.back_to_dashboard(page)
    page.locator("#leader-work").get_by_role("link", name="我的稿件").click()
    roles.visit(page, role, "07-drafts", axe=True)
    roles.back_to_dashboard(page)
    page.locator("#leader-work").get_by_role("link", name="稿件审核").click()
    roles.visit(page, role, "08-studio-review", axe=True)
    roles.back_to_dashboard(page)
    page.locator("#leader-work").get_by_role(
        "link", name=re.compile("成果评价")
    ).click()
    roles.visit(page, role, "09-evidence-reviews", axe=True)
