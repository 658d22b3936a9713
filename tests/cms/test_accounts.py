"""Accounts as a user meets them: sign-up with email verification, login, rate
limits, two-factor, the optional regional OIDC login, all in Chinese."""

import re

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_signup_verify_and_login(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new.teacher@example.com",
            "password1": "Lin-jiang-2026!",
            "password2": "Lin-jiang-2026!",
        },
        follow=True,
    )
    assert (
        "验证您的邮箱地址" in response.content.decode()
        or "验证" in response.content.decode()
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.teacher@example.com"]
    assert "[教师数字素养平台]" in message.subject
    link = re.search(
        r"http://testserver(/accounts/confirm-email/[^/\s]+/)", message.body
    ).group(1)

    # Not verified yet: logging in only sends the verification again.
    client.logout()
    response = client.post(
        reverse("account_login"),
        {"login": "new.teacher@example.com", "password": "Lin-jiang-2026!"},
        follow=True,
    )
    assert response.wsgi_request.path != reverse("dashboard")

    assert "确认" in client.get(link).content.decode()
    client.post(link)
    client.logout()
    response = client.post(
        reverse("account_login"),
        {"login": "new.teacher@example.com", "password": "Lin-jiang-2026!"},
        follow=True,
    )
    assert response.wsgi_request.path == reverse("dashboard")
    assert "<h1>工作台</h1>" in response.content.decode()


def test_wrong_password_is_refused_in_chinese(client):
    user = UserFactory()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "nope"}
    )
    assert "密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_is_rate_limited(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed": "3/5m/ip,3/5m/key",
    }
    user = UserFactory()
    for _ in range(3):
        client.post(
            reverse("account_login"), {"login": user.email, "password": "wrong"}
        )
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}
    )
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert "过多" in response.content.decode() or response.status_code == 429


def test_password_reset_sends_a_link(client):
    user = UserFactory()
    client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_totp_is_required_once_enabled(client):
    user = UserFactory()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": PASSWORD},
        follow=True,
    )
    assert response.wsgi_request.path == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    response = client.post(reverse("mfa_authenticate"), {"code": code}, follow=True)
    assert response.wsgi_request.path == reverse("dashboard")


def test_teacher_turns_on_two_factor(client):
    from allauth.mfa.models import Authenticator

    user = UserFactory()
    client.force_login(user)
    html = client.get(reverse("mfa_index")).content.decode()
    assert "身份验证器应用" in html and 'lang="zh-Hans"' in html
    # Turning it on asks for the password again first.
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    secret = response.context["form"].secret
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    client.post(reverse("mfa_activate_totp"), {"code": code})
    assert Authenticator.objects.filter(
        user=user, type=Authenticator.Type.TOTP
    ).exists()


def test_regional_oidc_login_appears_only_when_configured(client, settings):
    assert "统一身份认证" not in client.get(reverse("account_login")).content.decode()
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "regional",
                    "name": "统一身份认证",
                    "client_id": "cid",
                    "secret": "s",
                    "settings": {"server_url": "https://id.example.cn"},
                }
            ]
        }
    }
    html = client.get(reverse("account_login")).content.decode()
    assert "统一身份认证" in html


def test_login_page_form_shows_errors_and_keeps_what_she_typed(
    client, django_assert_max_num_queries
):
    """The sign-in page is our own plain template over allauth's form: its
    fields, the password-reset link, and allauth's messages on a failed try.
    Its budget: the social login apps, nothing else."""
    client.get(reverse("account_login"))  # warm up first
    with django_assert_max_num_queries(1):
        html = client.get(reverse("account_login")).content.decode()
    assert 'name="login"' in html and 'type="email"' in html
    assert 'name="password"' in html and 'name="remember"' in html
    assert reverse("account_reset_password") in html
    assert reverse("account_signup") in html
    user = UserFactory()
    html = client.post(
        reverse("account_login"),
        {"login": user.email, "password": "wrong", "remember": "on"},
    ).content.decode()
    assert "errorlist nonfield" in html and "不正确" in html
    assert f'value="{user.email}"' in html
    assert 'name="remember" id="id_remember" checked' in html
    assert "wrong" not in html  # the password is never sent back
    html = client.post(
        reverse("account_login"), {"login": "not-an-email", "password": "x"}
    ).content.decode()
    assert 'aria-invalid="true"' in html and 'id="id_login_error"' in html
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
