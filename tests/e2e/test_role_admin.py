"""The platform admin from her dashboard to the organisation tree, the
content admin and the platform-wide screens, on desktop and phone; the
Chinese admin names every model in Chinese."""

import pytest
from playwright.sync_api import expect

from tests.e2e import roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

viewport = roles.viewport_fixture()


def test_admin_reaches_the_admin_screens(page):
    world = roles.seed_world()
    role = "admin"
    roles.log_in(page, world["admin"].email)
    roles.visit(page, role, "01-dashboard", axe=True)
    expect(page.locator("main")).to_contain_text("全平台概况")

    page.locator("#hr-work").get_by_role("link", name="驾驶舱", exact=True).click()
    roles.visit(page, role, "02-cockpit", axe=True)
    roles.back_to_dashboard(page)

    page.locator("#hr-work").get_by_role("link", name="维护组织机构").click()
    page.wait_for_load_state()
    roles.shoot(page, role, "03-organisations")
    expect(page.locator("body")).to_contain_text("东湖实验小学")
    page.goto("/django-admin/")
    body = page.locator("body")
    expect(body).to_contain_text("数据删除申请")
    expect(body).to_contain_text("两步验证设备")
    expect(body).not_to_contain_text("Deletion requests")
    expect(body).not_to_contain_text("Authenticators")
    roles.shoot(page, role, "04-django-admin")

    page.goto("/dashboard/")
    page.locator("#hr-work").get_by_role("link", name="内容管理后台").click()
    page.wait_for_load_state()
    roles.shoot(page, role, "05-wagtail-admin")
    expect(page).to_have_url(__import__("re").compile(r"/admin/"))
