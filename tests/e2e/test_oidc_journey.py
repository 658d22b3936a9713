"""Signing in with the region's unified identity (统一身份认证) in Chromium,
through a real OpenID Connect provider (tests/oidc/provider.mjs, on 127.0.0.1):
the first login lands as the teacher her staff number names; logout ends our
session and the provider's (a new login asks for her password again); a staff
number the provider places in another school is refused in Chinese."""

import re

import pytest
from allauth.socialaccount.models import SocialAccount
from playwright.sync_api import expect

from tests.factories import TeacherFactory
from tests.oidc.provider import PASSWORD, start, stop

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.oidc,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="session")
def live_regional_provider(live_server):
    provider = start([live_server.url])
    yield provider
    stop(provider)


@pytest.fixture
def regional(settings, live_regional_provider):
    settings.SOCIALACCOUNT_PROVIDERS = live_regional_provider.settings()
    settings.OIDC_LINK_CLAIM = "staff_number"
    return live_regional_provider


def start_regional_login(page):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="统一身份认证").click()
    # allauth asks before leaving for the provider (no login on GET).
    page.locator("main form button[type=submit]").click()


def provider_form(page, provider, username):
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.issuer)}/interaction/"))
    expect(page.locator("h1")).to_have_text("统一身份认证登录")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_regional_login_links_the_teacher_and_logout_ends_both(
    page, regional, district_tree, live_server
):
    lin = TeacherFactory(
        school=district_tree["school_a1"], staff_number="OIDC-1001", real_name="林晓"
    )
    start_regional_login(page)
    provider_form(page, regional, "lin.xiao")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator("details.account-menu summary")).to_have_text("林晓")
    assert SocialAccount.objects.get(user=lin.user).uid == "r-1001"

    # Logout: our session ends, the provider asks, and its session ends too.
    page.locator("details.account-menu summary").click()
    page.locator("details.account-menu button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(regional.issuer)}/session/end"))
    expect(page.locator("h1")).to_have_text("退出统一身份认证？")
    page.get_by_role("button", name="退出", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("banner").get_by_role("link", name="登录")).to_be_visible()

    # Signing in again needs her password at the provider again.
    start_regional_login(page)
    expect(page.get_by_label("密码")).to_be_visible()
    provider_form(page, regional, "lin.xiao")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    assert SocialAccount.objects.filter(user=lin.user).count() == 1


def test_staff_number_in_another_school_is_refused(page, regional, district_tree):
    # The provider places 周越 at 东湖实验小学; OIDC-1002 teaches at 西山中心小学.
    TeacherFactory(school=district_tree["school_b1"], staff_number="OIDC-1002")
    start_regional_login(page)
    provider_form(page, regional, "zhou.cross")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("status")).to_contain_text(
        "统一身份认证表明您属于“东湖实验小学”"
    )
    expect(page.get_by_role("status")).to_contain_text("未登录，也未关联任何账号")
    expect(page.get_by_role("banner").get_by_role("link", name="登录")).to_be_visible()
    assert not SocialAccount.objects.exists()
