"""Site chrome: Chinese by default, English on request, role-aware dashboard."""

import pytest
from django.urls import reverse

from cms.accounts.models import Role
from tests.factories import TeacherFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


def test_home_page_is_chinese_even_for_an_english_browser(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-Hans">' in html
    assert "教师数字素养平台" in html
    assert "cdn" not in html.lower()


def test_language_switch_to_english_and_back(client):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "/"}, follow=True
    )
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Sign in" in html or "Log in" in html
    response = client.post(
        reverse("set_language"), {"language": "zh-hans", "next": "/"}, follow=True
    )
    assert '<html lang="zh-Hans">' in response.content.decode()


def test_login_page_in_chinese(client):
    html = client.get(reverse("account_login")).content.decode()
    assert "登录" in html and "密码" in html


def test_dashboard_needs_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302


def test_teacher_dashboard_shows_her_profile(client):
    teacher = TeacherFactory(real_name="林晓", subjects=["语文"])
    grant(teacher.user, Role.TEACHER)
    client.force_login(teacher.user)
    html = client.get(reverse("dashboard")).content.decode()
    assert "林晓" in html and "语文" in html and teacher.school.name in html
    assert "教师管理" not in html


def test_hr_dashboard_counts_only_her_organisation(client, district_tree, hr_a1):
    client.force_login(hr_a1)
    response = client.get(reverse("dashboard"))
    assert response.context["summary"] == {"teachers": 2, "schools": 1, "districts": 0}
    assert "教师管理" in response.content.decode()


def test_district_hr_dashboard_counts_every_school_below(
    client, district_tree, hr_dist_a
):
    client.force_login(hr_dist_a)
    response = client.get(reverse("dashboard"))
    assert response.context["summary"] == {"teachers": 4, "schools": 2, "districts": 1}


def test_user_without_roles_is_told_what_to_do(client):
    client.force_login(UserFactory())
    html = client.get(reverse("dashboard")).content.decode()
    assert "还没有关联任何角色" in html


def test_unknown_page_is_a_chinese_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def _nav(html: str) -> str:
    start = html.index('<nav class="site-nav"')
    return html[start : html.index("</nav>", start)]


def test_navigation_follows_roles_and_language_at_once(client, settings):
    """The navigation is rendered once per kind of visitor and reused; a role
    granted, a profile removed or a language switched shows on the next page."""
    settings.MFA_REQUIRED_FOR_ADMINS = False
    teacher = TeacherFactory()
    grant(teacher.user, Role.TEACHER)
    client.force_login(teacher.user)
    nav = _nav(client.get(reverse("dashboard")).content.decode())
    assert "我的画像" in nav and "教师管理" not in nav and "作业批改" not in nav

    grant(teacher.user, Role.TRAINER)
    nav = _nav(client.get(reverse("dashboard")).content.decode())
    assert "作业批改" in nav and "我的画像" in nav

    grant(teacher.user, Role.HR, teacher.school)
    nav = _nav(client.get(reverse("dashboard")).content.decode())
    assert "教师管理" in nav and "驾驶舱" in nav

    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    nav = _nav(client.get(reverse("dashboard")).content.decode())
    assert "我的画像" not in nav and "教师管理" not in nav
    assert "My portrait" in nav

    # Another visitor, without a teacher profile or roles, in Chinese.
    other = UserFactory()
    client.force_login(other)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    nav = _nav(client.get(reverse("dashboard")).content.decode())
    assert "工作台" in nav and "我的画像" not in nav and "教师管理" not in nav

    client.logout()
    nav = _nav(client.get("/").content.decode())
    assert "工作台" not in nav and "课程" in nav


def test_the_frame_holds_her_own_name_path_and_token_in_either_language(client):
    """base.html's fixed parts are kept per language (site_extras.chrome); her
    name, the current path and the sign-out token are hers, escaped."""
    import re

    teacher = TeacherFactory()
    teacher.user.first_name = '<b>"林</b>'
    teacher.user.last_name = ""
    teacher.user.save()
    client.force_login(teacher.user)
    html = client.get(reverse("my_portrait"), {"x": '"><script>'}).content.decode()
    assert "<!DOCTYPE html>" in html and '<html lang="zh-Hans">' in html
    assert "· 教师数字素养平台</title>" in html and "退出登录" in html
    assert "<script>" not in html.split("<main")[0].split("</title>")[1]
    assert 'name="next" value="/portrait/?x=%22%3E%3Cscript%3E"' in html
    from django.utils.html import escape

    assert "<b>" not in html
    assert f"<summary>{escape(teacher.user.display_name)}</summary>" in html
    token = re.search(
        r'action="/accounts/logout/" method="post"><input type="hidden" '
        r'name="csrfmiddlewaretoken" value="([^"]+)"',
        html,
    ).group(1)
    # The token in the kept frame is this request's: signing out with it works.
    client.handler.enforce_csrf_checks = True
    response = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert client.get(reverse("my_portrait")).status_code == 302

    client.handler.enforce_csrf_checks = False
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("account_login")).content.decode()
    assert (
        '<html lang="en">' in html
        and "· Teacher Digital Literacy Platform</title>" in html
    )
    assert "退出登录" not in html and 'href="/accounts/signup/"' in html
