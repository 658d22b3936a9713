"""A new teacher signs up, confirms her email from the outbox, logs in, lands on
the dashboard, and switches the interface to English."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "Lin-jiang-2026!"


def test_sign_up_confirm_log_in_and_switch_language(page, mailoutbox):
    # An English-speaking browser still gets the Chinese site by default.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("h1")).to_contain_text("数字素养")

    page.get_by_role("link", name="注册", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    page.locator("input[name=email]").fill("lin.xiao@example.com")
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    expect(page.locator("main")).to_contain_text("验证")

    assert len(mailoutbox) == 1
    link = re.search(
        r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", mailoutbox[0].body
    )
    page.goto(link.group(1))
    page.locator("main form button[type=submit]").click()

    # Confirming logs her in; log out and back in as she would tomorrow.
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    page.locator("details.account-menu summary").click()
    page.locator("details.account-menu button[type=submit]").click()
    expect(page.get_by_role("banner").get_by_role("link", name="登录")).to_be_visible()

    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill("lin.xiao@example.com")
    page.locator("input[name=password]").fill("wrong-password")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("密码不正确")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))

    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator("h1")).to_have_text("工作台")

    page.locator("#language-select").select_option("en")
    page.locator("#language-switcher button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
