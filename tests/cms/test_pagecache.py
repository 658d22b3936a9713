"""Public pages cached for visitors who are not signed in (cms/shared/pagecache.py):
a second visit is answered from the cache, and every change to what a cached
page shows is visible at the very next request."""

import pytest
from django.urls import reverse

from cms.studios import services as studio_services
from tests.factories import TeacherFactory
from tests.factories.courses import make_course
from tests.studios import conftest as studio_fixtures
from tests.training import conftest as training_fixtures
from training.models import Competency

# The catalogue's and the studios' own fixtures.
rules = training_fixtures.rules
activity = studio_fixtures.activity

pytestmark = pytest.mark.django_db

HIT = "X-Page-Cache"


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response, response.content.decode()


def test_catalogue_is_cached_and_a_new_course_shows_at_once(client, rules):
    make_course(title="数据驱动的精准教学")
    first, html = get(client, "/courses/")
    assert HIT not in first and "数据驱动的精准教学" in html
    second, again = get(client, "/courses/")
    assert second[HIT] == "hit" and again == html

    make_course(title="人工智能助教入门")
    response, html = get(client, "/courses/")
    assert HIT not in response
    assert "人工智能助教入门" in html and "数据驱动的精准教学" in html


def test_a_published_change_and_an_unpublished_course_show_at_once(client, rules):
    course = make_course(title="旧课程名")
    url = course.url
    get(client, "/courses/")
    get(client, url)
    assert get(client, url)[0][HIT] == "hit"

    course.title = "新课程名"
    course.save_revision().publish()
    assert "新课程名" in get(client, "/courses/")[1]
    response, html = get(client, url)
    assert "新课程名" in html and "旧课程名" not in html

    course.unpublish()
    assert "新课程名" not in get(client, "/courses/")[1]
    assert client.get(url).status_code == 404


def test_a_signed_in_teacher_never_gets_the_anonymous_page(client, rules):
    course = make_course(title="可报名的课程")
    get(client, course.url)
    response, html = get(client, course.url)
    assert response[HIT] == "hit" and "登录后报名" in html

    client.force_login(TeacherFactory().user)
    response, html = get(client, course.url)
    assert HIT not in response
    assert "登录后报名" not in html and 'id="enrol-button"' in html


def test_each_language_has_its_own_page(client, rules):
    make_course(title="双语课程")
    assert '<html lang="zh-Hans">' in get(client, "/courses/")[1]
    client.cookies["django_language"] = "en"
    response, html = get(client, "/courses/")
    assert HIT not in response and '<html lang="en">' in html


def test_pending_messages_are_never_answered_from_the_cache(client, rules):
    make_course()
    get(client, "/courses/")
    client.cookies["messages"] = "anything"
    assert HIT not in get(client, "/courses/")[0]


def test_an_edited_indicator_shows_at_once_on_the_framework_pages(client, rules):
    indicator = Competency.objects.get(framework__code="jyt0646-2022", code="3.3.2")
    url = indicator.get_absolute_url()
    framework = "/framework/jyt0646-2022/"
    get(client, url), get(client, framework)
    assert get(client, url)[0][HIT] == "hit"
    assert get(client, framework)[0][HIT] == "hit"

    indicator.name = "改过名字的指标"
    indicator.save()
    assert "改过名字的指标" in get(client, url)[1]
    assert "改过名字的指标" in get(client, framework)[1]


def test_a_new_studio_member_shows_at_once_on_the_studio_home(client, activity):
    studio = activity.studio
    get(client, studio.url)
    assert get(client, studio.url)[0][HIT] == "hit"

    teacher = TeacherFactory(real_name="新加入的成员")
    membership = studio_services.membership_apply(studio=studio, teacher=teacher)
    studio_services.membership_decide(
        membership=membership, by=studio.leader, approve=True
    )
    response, html = get(client, studio.url)
    assert HIT not in response and "新加入的成员" in html


def test_the_language_switcher_is_a_plain_get_that_stays_on_this_site(client):
    response = client.get(
        reverse("switch_language"), {"language": "en", "next": "/courses/"}
    )
    assert response.status_code == 302 and response["Location"] == "/courses/"
    assert response.cookies["django_language"].value == "en"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    # The switcher carries no CSRF token, so public pages stay cacheable.
    assert "csrfmiddlewaretoken" not in html.split('id="language-switcher"')[1][:600]

    response = client.get(
        reverse("switch_language"),
        {"language": "zh-hans", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"
    response = client.get(
        reverse("switch_language"), {"language": "xx", "next": "//evil.example/"}
    )
    assert response["Location"] == "/" and "django_language" not in response.cookies
    assert client.post(reverse("switch_language")).status_code == 405


def test_a_view_restriction_added_later_is_enforced_at_once(client, rules):
    from wagtail.models import PageViewRestriction

    course = make_course(title="后来受限的课程")
    get(client, course.url)
    assert get(client, course.url)[0][HIT] == "hit"  # route and page cached

    PageViewRestriction.objects.create(
        page=course, restriction_type=PageViewRestriction.LOGIN
    )
    response = client.get(course.url)
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(TeacherFactory().user)
    assert "后来受限的课程" in get(client, course.url)[1]


def test_a_moved_or_renamed_slug_routes_at_once(client, rules):
    course = make_course(title="改过网址的课程")
    old = course.url
    get(client, old)
    course.slug = "renamed-course"
    course.save_revision().publish()
    assert client.get(old).status_code == 404
    assert "改过网址的课程" in get(client, "/courses/renamed-course/")[1]


def test_a_signed_in_teacher_sees_a_published_change_through_the_kept_route(
    client, rules
):
    """The route keeps the page as read (cms/shared/pagecache.serve): a
    teacher's course page, which is rendered per request, shows an edit,
    a field changed without a revision, and an unpublish at once."""
    from training.courses.models import CoursePage

    course = make_course(title="保留路由的课程", hours=8)
    client.force_login(TeacherFactory().user)
    assert "保留路由的课程" in get(client, course.url)[1]
    assert "保留路由的课程" in get(client, course.url)[1]  # the route kept

    course.title = "改名后的课程"
    course.save_revision().publish()
    html = get(client, course.url)[1]
    assert "改名后的课程" in html and "保留路由的课程" not in html

    page = CoursePage.objects.get(pk=course.pk)
    page.hours = 12
    page.save()
    html = get(client, course.url)[1]
    assert "12 学时" in html or "12.0 学时" in html or "12.00 学时" in html
    assert " 8 学时" not in html and "8.0 学时" not in html

    course.refresh_from_db()
    course.unpublish()
    assert client.get(course.url).status_code == 404


class TestSignInPageKept:
    """The sign-in page is kept for visitors with its CSRF token taken out;
    each visitor gets her own token, which signs her in."""

    def test_each_visitor_gets_her_own_working_token(self, client, db):
        import re

        from django.test import Client

        from tests.factories import PASSWORD

        url = reverse("account_login")
        first = client.get(url)
        assert HIT not in first
        second = Client(enforce_csrf_checks=True).get(url)
        assert second[HIT] == "hit"
        assert "private" in second["Cache-Control"]  # never kept by browsers

        visitor = Client(enforce_csrf_checks=True)
        page = visitor.get(url)
        assert page[HIT] == "hit" and "csrftoken" in page.cookies
        html = page.content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
        assert "csrfslot" not in html
        other = Client().get(url).content.decode()
        assert token not in other
        teacher = TeacherFactory()
        response = visitor.post(
            url,
            {
                "login": teacher.user.email,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
            },
        )
        assert response.status_code == 302
        assert visitor.get(reverse("my_portrait")).status_code == 200
        # Signed in (a session cookie): never served from the cache.
        assert HIT not in visitor.get(url)

    def test_the_next_address_and_language_are_part_of_the_key(self, client, db):
        url = reverse("account_login")
        client.get(url, {"next": "/portrait/"})
        html = client.get(url, {"next": "/portrait/"}).content.decode()
        assert 'value="/portrait/"' in html
        html = client.get(url, {"next": "/credits/"}).content.decode()
        assert 'value="/credits/"' in html and 'value="/portrait/"' not in html
        client.cookies["django_language"] = "en"
        assert "Sign In" in client.get(url).content.decode()

    def test_a_provider_added_shows_at_once(self, client, db):
        from allauth.socialaccount.models import SocialApp

        url = reverse("account_login")
        client.get(url)
        assert client.get(url)[HIT] == "hit"
        SocialApp.objects.create(
            provider="openid_connect",
            provider_id="eastlake",
            name="东湖统一认证",
            client_id="c2",
            settings={"server_url": "https://id.example.test"},
        )
        response = client.get(url)
        assert HIT not in response and "东湖统一认证" in response.content.decode()
