"""Smaller holes from the outside audit (issue 13.7): NUL bytes in URLs,
security headers, two-factor authentication for administrators, login
throttling that does not lock out a whole school, and mail failures."""

import datetime
import re
import socket

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from cms.accounts.models import Role
from cms.settings import base as base_settings
from credits.models import CreditRuleSet
from credits.rules import DEFAULT_CONFIG
from tests.factories import PASSWORD, TeacherFactory, UserFactory, grant, hr_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(district_tree):
    from cms.studios import services as studio_services
    from tests.factories.courses import make_course
    from tests.factories.site import ensure_base_content

    ensure_base_content()
    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "全国通用", "config": DEFAULT_CONFIG},
    )
    make_course(title="数据驱动的精准教学")
    leader = TeacherFactory(school=district_tree["school_a1"])
    studio = studio_services.studio_create(
        title="张名师数学工作室",
        kind="名师",
        leader=leader.user,
        region=district_tree["dist_a"],
        subject="数学",
        research_direction="精准教学",
    )
    return {"studio_index": studio.get_parent().url, **district_tree}


NUL_URLS = [
    ("anonymous", "/courses/", {"q": "数据\x00"}),
    ("anonymous", "/courses/", {"indicator": "\x00"}),
    ("anonymous", "studio_index", {"q": "\x00"}),
    ("anonymous", "studio_index", {"region": "1\x00"}),
    ("anonymous", "/verify/transcript/", {"code": "AB\x00CD"}),
    ("teacher", "/credentials/", {"page": "\x00"}),
    ("hr", "/org/credentials/", {"q": "\x00"}),
    ("hr", "/org/teachers/", {"q": "李\x00"}),
]


@pytest.mark.parametrize(("who", "url", "params"), NUL_URLS)
def test_a_nul_byte_in_the_query_string_is_a_clear_400(client, site, who, url, params):
    if who == "teacher":
        client.force_login(site["teachers"]["SA1"][0].user)
    elif who == "hr":
        client.force_login(hr_user(site["dist_a"]))
    if url == "studio_index":
        url = site["studio_index"]
    response = client.get(url, params)
    assert response.status_code == 400
    assert "链接中含有无效字符" in response.content.decode()


def test_a_nul_byte_in_a_parameter_name_or_path_is_a_400_too(client, site):
    assert client.get("/courses/?%00=1").status_code == 400
    assert client.get("/courses/%00/").status_code == 400
    # Ordinary percent signs are fine.
    assert client.get("/courses/", {"q": "100%"}).status_code == 200


# Security headers


def test_site_pages_carry_a_strict_csp_with_a_fresh_nonce(client, site):
    teacher = site["teachers"]["SA1"][0]
    client.force_login(teacher.user)
    response = client.get(reverse("dashboard"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "object-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert "camera=()" in response["Permissions-Policy"]
    again = client.get(reverse("dashboard"))["Content-Security-Policy"]
    assert again != policy  # a new nonce per response


def test_inline_scripts_carry_the_nonce_and_no_inline_handlers_remain(
    client, site, settings
):
    """Every inline <script> on a page the site renders has the nonce its
    response allows; templates use data-confirm instead of onclick."""
    from pathlib import Path

    hr = hr_user(site["dist_a"])
    client.force_login(hr)
    from cms.accounts.models import TeacherImport

    imp = TeacherImport.objects.create(
        created_by=hr, file_name="r.csv", status=TeacherImport.Status.QUEUED
    )
    response = client.get(reverse("teacher_import_detail", args=[imp.pk]))
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    inline = [attrs for attrs in scripts if "src=" not in attrs]
    assert inline, "the progress page has its polling script"
    assert all(f'nonce="{nonce}"' in attrs for attrs in inline)
    templates = Path(settings.BASE_DIR) / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\son(click|submit|change|load)=", text), path
        for tag in re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", text):
            assert "nonce=" in tag, path


def test_the_admin_gets_its_own_policy(client, site):
    admin = grant(UserFactory(is_staff=True, is_superuser=True), Role.PLATFORM_ADMIN)
    client.force_login(admin)
    response = client.get("/admin/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" in policy and "'nonce-" not in policy
    assert "frame-ancestors 'self'" in policy


# Two-factor authentication required of administrators


@pytest.mark.parametrize("role", ["hr", "platform_admin"])
def test_admins_without_totp_are_sent_to_set_it_up_first(
    client, district_tree, settings, role
):
    settings.MFA_REQUIRED_FOR_ADMINS = True
    if role == "hr":
        user = hr_user(district_tree["dist_a"])
    else:
        user = grant(UserFactory(), Role.PLATFORM_ADMIN)
    client.force_login(user)
    for url in (reverse("dashboard"), reverse("teacher_list"), "/django-admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_activate_totp")
    # A POST is refused the same way (nothing done).
    response = client.post(reverse("teacher_import_upload"), {})
    assert response["Location"] == reverse("mfa_activate_totp")
    # The set-up page (through re-authentication) opens, with the reason.
    response = client.get(reverse("dashboard"), follow=True)
    assert response.wsgi_request.path.startswith("/accounts/")
    assert "须先开启两步验证" in response.content.decode()


def test_with_totp_admins_and_teachers_pass(client, district_tree, settings):
    settings.MFA_REQUIRED_FOR_ADMINS = True
    hr = hr_user(district_tree["dist_a"])
    TOTP.activate(hr, generate_totp_secret())
    client.force_login(hr)
    assert client.get(reverse("teacher_list")).status_code == 200
    teacher = district_tree["teachers"]["SA1"][0]
    client.force_login(teacher.user)
    assert client.get(reverse("dashboard")).status_code == 200


def test_mfa_is_required_by_default_only_in_production(monkeypatch):
    import importlib
    import sys

    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "IDENTITY_HASH_KEY"):
        monkeypatch.setenv(name, "x" * 60 if name == "SECRET_KEY" else "example.cn")
    monkeypatch.setenv("LEDGER_HASH_KEY", "k")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@127.0.0.1:5432/x")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("MFA_REQUIRED_FOR_ADMINS", raising=False)
    sys.modules.pop("cms.settings.production", None)
    production = importlib.import_module("cms.settings.production")
    sys.modules.pop("cms.settings.production", None)
    assert production.MFA_REQUIRED_FOR_ADMINS is True
    assert base_settings.MFA_REQUIRED_FOR_ADMINS is False


# Login throttling


def _login(client, email, password, address):
    client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        REMOTE_ADDR=address,
    )
    logged_in = "_auth_user_id" in client.session
    client.logout()
    return logged_in


def test_one_persons_mistakes_do_not_lock_out_her_colleagues(client, settings):
    settings.ACCOUNT_RATE_LIMITS = base_settings.ACCOUNT_RATE_LIMITS
    school = "203.0.113.7"  # the whole school's one address
    clumsy, colleague = UserFactory(), UserFactory()
    for _ in range(5):
        assert not _login(client, clumsy.email, "wrong", school)
    # She is throttled where she is, even with the right password...
    assert not _login(client, clumsy.email, PASSWORD, school)
    # ...but her colleagues behind the same address are not,
    assert _login(client, colleague.email, PASSWORD, school)
    # and from home she can still sign in.
    assert _login(client, clumsy.email, PASSWORD, "198.51.100.20")


def test_guessing_one_account_from_many_addresses_is_throttled(client, settings):
    settings.ACCOUNT_RATE_LIMITS = base_settings.ACCOUNT_RATE_LIMITS
    target = UserFactory()
    for n in range(20):
        assert not _login(client, target.email, f"guess{n}", f"192.0.2.{n + 1}")
    assert not _login(client, target.email, PASSWORD, "192.0.2.200")


def test_throttled_login_says_so(client, settings):
    settings.ACCOUNT_RATE_LIMITS = base_settings.ACCOUNT_RATE_LIMITS
    user = UserFactory()
    for _ in range(5):
        _login(client, user.email, "wrong", "203.0.113.9")
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.9",
    )
    assert "过多" in response.content.decode()


# Mail server down


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_password_reset_with_smtp_down_says_so(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _closed_port()
    settings.EMAIL_TIMEOUT = 2
    user = UserFactory()
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 503
    html = response.content.decode()
    assert "邮件暂时无法发送" in html and "请稍后重试" in html


def test_a_nul_byte_in_an_api_url_answers_the_apis_json_error(client, db):
    response = client.get("/api/v1/credit-records", {"updated_since": "\x00"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "空字符" in response.json()["detail"]
