"""Signing in with the region's unified identity (统一身份认证) against a real
OpenID Connect provider (tests/oidc/provider.mjs): which teacher a first login
links to, what is refused and how it is told, and logout ending both sessions.

Django's test client is our site; a requests session is the browser at the
provider, whose login form checks the password."""

from __future__ import annotations

import re

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.urls import reverse

from cms.accounts.models import TeacherProfile
from tests.factories import TeacherFactory, UserFactory
from tests.oidc.provider import follow_at_provider, sign_in_at_provider, site_path

pytestmark = [pytest.mark.django_db, pytest.mark.oidc]
LOGIN = "/accounts/oidc/regional/login/"


def login_through_region(client, provider, username, browser=None):
    """Our login button, the provider's form, back to our callback; returns
    our final page and the browser at the provider."""
    browser = browser or requests.Session()
    start = client.post(LOGIN)
    assert start.status_code == 302, start.content
    assert start["Location"].startswith(provider.issuer)
    back = sign_in_at_provider(browser, start["Location"], provider.issuer, username)
    assert back.is_redirect, back.text
    assert back.headers["Location"].startswith("http://testserver/")
    return client.get(site_path(back.headers["Location"]), follow=True), browser


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


@pytest.fixture
def lin(district_tree):
    return TeacherFactory(
        school=district_tree["school_a1"], staff_number="OIDC-1001", real_name="林晓"
    )


def test_first_login_links_the_teacher_by_staff_number(
    client, regional_settings, regional_provider, lin
):
    users_before = get_user_model().objects.count()
    page, _ = login_through_region(client, regional_provider, "lin.xiao")
    assert page.context["user"] == lin.user
    assert "林晓" in page.content.decode()
    account = SocialAccount.objects.get(user=lin.user)
    assert (account.provider, account.uid) == ("regional", "r-1001")
    assert get_user_model().objects.count() == users_before

    # The next login finds the link (by the provider's subject) directly.
    client.logout()
    page, _ = login_through_region(client, regional_provider, "lin.xiao")
    assert page.context["user"] == lin.user
    assert SocialAccount.objects.filter(user=lin.user).count() == 1


def test_staff_number_of_a_teacher_in_another_organisation_is_refused(
    client, regional_settings, regional_provider, district_tree
):
    # The provider says 周越 is at SA1; staff number OIDC-1002 is at SB1.
    elsewhere = TeacherFactory(
        school=district_tree["school_b1"], staff_number="OIDC-1002"
    )
    users_before = get_user_model().objects.count()
    page, _ = login_through_region(client, regional_provider, "zhou.cross")
    assert not page.context["user"].is_authenticated
    text = messages_of(page)
    assert "统一身份认证表明您属于“东湖实验小学”" in text
    assert "未登录，也未关联任何账号" in text
    assert "西山中心小学" not in page.content.decode()
    assert not SocialAccount.objects.exists()
    assert get_user_model().objects.count() == users_before
    assert page.request["PATH_INFO"] == reverse("account_login")
    assert not SocialAccount.objects.filter(user=elsewhere.user).exists()


def test_district_claim_covers_its_schools(
    client, regional_settings, regional_provider, district_tree
):
    chen = TeacherFactory(school=district_tree["school_a2"], staff_number="OIDC-1003")
    page, _ = login_through_region(client, regional_provider, "chen.district")
    assert page.context["user"] == chen.user


def test_without_an_organisation_claim_the_unique_staff_number_links(
    client, regional_settings, regional_provider, district_tree
):
    he = TeacherFactory(school=district_tree["school_b1"], staff_number="OIDC-1004")
    page, _ = login_through_region(client, regional_provider, "he.noorg")
    assert page.context["user"] == he.user


def test_no_matching_teacher_is_told_and_nobody_is_created(
    client, regional_settings, regional_provider, lin
):
    users_before = get_user_model().objects.count()
    page, _ = login_through_region(client, regional_provider, "ma.unknown")
    assert not page.context["user"].is_authenticated
    text = messages_of(page)
    assert "没有与您的统一身份（工号 OIDC-9999）匹配的教师档案" in text
    assert "请联系学校人事管理员导入您的档案" in text
    assert get_user_model().objects.count() == users_before
    assert not SocialAccount.objects.exists()


def test_unknown_organisation_code_is_refused(
    client, regional_settings, regional_provider, lin
):
    page, _ = login_through_region(client, regional_provider, "xu.badorg")
    assert not page.context["user"].is_authenticated
    assert "机构代码 NOPE" in messages_of(page)
    assert not SocialAccount.objects.exists()


def test_never_linked_by_name(client, regional_settings, regional_provider, lin):
    # Same name (林晓) and organisation, but no staff number: no link.
    page, _ = login_through_region(client, regional_provider, "namesake")
    assert not page.context["user"].is_authenticated
    assert "没有提供工号" in messages_of(page)
    assert not SocialAccount.objects.exists()


def test_a_teacher_linked_to_one_regional_account_is_not_taken_by_another(
    client, regional_settings, regional_provider, lin
):
    login_through_region(client, regional_provider, "lin.xiao")
    client.logout()
    page, _ = login_through_region(client, regional_provider, "lin.again")
    assert not page.context["user"].is_authenticated
    assert "已关联另一个统一身份账号" in messages_of(page)
    assert list(SocialAccount.objects.values_list("uid", flat=True)) == ["r-1001"]


def test_linked_teacher_who_moved_is_refused_until_hr_moves_her(
    client, regional_settings, regional_provider, lin, district_tree
):
    login_through_region(client, regional_provider, "lin.xiao")
    client.logout()
    TeacherProfile.objects.filter(pk=lin.pk).update(school=district_tree["school_b1"])
    page, _ = login_through_region(client, regional_provider, "lin.xiao")
    assert not page.context["user"].is_authenticated
    assert "不属于该单位" in messages_of(page)


@pytest.fixture
def email_settings(regional_settings):
    regional_settings.OIDC_LINK_CLAIM = "email"
    return regional_settings


@pytest.fixture
def wang(district_tree):
    return TeacherFactory(
        school=district_tree["school_a1"],
        user=UserFactory(email="wang.fang@region.test"),
        real_name="王芳",
    )


def test_verified_email_links_when_email_is_the_claim(
    client, email_settings, regional_provider, wang
):
    page, _ = login_through_region(client, regional_provider, "wang.verified")
    assert page.context["user"] == wang.user


def test_unverified_email_is_refused(client, email_settings, regional_provider, wang):
    page, _ = login_through_region(client, regional_provider, "wang.unverified")
    assert not page.context["user"].is_authenticated
    text = messages_of(page)
    assert "未确认邮箱 wang.fang@region.test 属于您" in text
    assert not SocialAccount.objects.exists()


def test_email_matching_a_teacher_elsewhere_is_refused(
    client, email_settings, regional_provider, district_tree
):
    TeacherFactory(
        school=district_tree["school_b1"],
        user=UserFactory(email="wang.fang@region.test"),
    )
    page, _ = login_through_region(client, regional_provider, "wang.verified")
    assert not page.context["user"].is_authenticated
    assert "不属于该单位" in messages_of(page)
    assert not SocialAccount.objects.exists()


def test_staff_number_claim_is_ignored_when_email_is_the_claim(
    client, email_settings, regional_provider, lin
):
    # lin.xiao's email (lin.xiao@region.test) is not lin's address here.
    page, _ = login_through_region(client, regional_provider, "lin.xiao")
    assert not page.context["user"].is_authenticated
    assert "邮箱 lin.xiao@region.test" in messages_of(page)


def test_logout_ends_the_provider_session_too(
    client, regional_settings, regional_provider, lin
):
    page, browser = login_through_region(client, regional_provider, "lin.xiao")
    assert page.context["user"] == lin.user

    # Our logout sends the browser to the provider's end_session_endpoint
    # with the ID token it issued.
    out = client.post(reverse("account_logout"))
    assert out.status_code == 302
    end = out["Location"]
    assert end.startswith(f"{regional_provider.issuer}/session/end?")
    assert "id_token_hint=" in end
    assert "post_logout_redirect_uri=http%3A%2F%2Ftestserver%2F" in end
    assert not client.get(reverse("dashboard")).wsgi_request.user.is_authenticated

    # The provider asks, she confirms, and it sends her back to our home page.
    confirm = browser.get(end, timeout=10)
    assert "退出统一身份认证？" in confirm.text
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', confirm.text))
    action = re.search(r'<form[^>]*action="([^"]+)"', confirm.text).group(1)
    done = browser.post(
        regional_provider.issuer + action if action.startswith("/") else action,
        data={**form, "logout": "yes"},
        allow_redirects=False,
        timeout=10,
    )
    assert done.is_redirect
    assert done.headers["Location"].startswith("http://testserver/")

    # A new login through the provider asks for her password again.
    start = client.post(LOGIN)
    again = follow_at_provider(browser, start["Location"], regional_provider.issuer)
    assert not again.is_redirect
    assert 'name="password"' in again.text


def test_without_logout_the_provider_session_signs_her_straight_back_in(
    client, regional_settings, regional_provider, lin
):
    # The control for the test above: while the provider's session lives, a
    # new login needs no password.
    _, browser = login_through_region(client, regional_provider, "lin.xiao")
    client.logout()
    start = client.post(LOGIN)
    back = follow_at_provider(browser, start["Location"], regional_provider.issuer)
    assert back.is_redirect
    page = client.get(site_path(back.headers["Location"]), follow=True)
    assert page.context["user"] == lin.user


def test_local_logout_stays_local(client, regional_settings, lin):
    client.force_login(lin.user)
    out = client.post(reverse("account_logout"))
    assert out["Location"] == "/"


def test_connecting_from_another_teachers_account_is_refused(
    client, regional_settings, regional_provider, lin, district_tree
):
    other = TeacherFactory(school=district_tree["school_a1"])
    client.force_login(other.user)
    start = client.post(f"{LOGIN}?process=connect")
    back = sign_in_at_provider(
        requests.Session(), start["Location"], regional_provider.issuer, "lin.xiao"
    )
    page = client.get(site_path(back.headers["Location"]), follow=True)
    assert "该统一身份对应的是另一位教师的档案" in messages_of(page)
    assert not SocialAccount.objects.exists()


def test_connecting_her_own_account_links_it(
    client, regional_settings, regional_provider, lin
):
    client.force_login(lin.user)
    start = client.post(f"{LOGIN}?process=connect")
    back = sign_in_at_provider(
        requests.Session(), start["Location"], regional_provider.issuer, "lin.xiao"
    )
    client.get(site_path(back.headers["Location"]), follow=True)
    assert SocialAccount.objects.get(user=lin.user).uid == "r-1001"
