"""The signed-in user as every page loads it (cms/accounts/backends.py): one
query with her roles, teacher profile and authenticator app on PostgreSQL,
every check of Django's sign-in unchanged, and sessions from before kept."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.socialaccount.models import SocialApp
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cms.accounts.models import Role, RoleAssignment
from tests.factories import TeacherFactory, grant, hr_user

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-query load is PostgreSQL's"
)


def sign_in_with_backend(client, user, backend_path):
    """A session as it was written when she signed in through `backend_path`."""
    session = client.session
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = backend_path
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    client.cookies["sessionid"] = session.session_key
    return session.session_key


def statements(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize(
    "old_path",
    [
        "django.contrib.auth.backends.ModelBackend",
        "allauth.account.auth_backends.AuthenticationBackend",
    ],
)
def test_sessions_signed_in_before_stay_signed_in(client, db, old_path):
    teacher = TeacherFactory()
    key = sign_in_with_backend(client, teacher.user, old_path)
    response = client.get(reverse("my_portrait"))
    assert response.status_code == 200
    assert response.wsgi_request.user == teacher.user
    from django.contrib.sessions.backends.db import SessionStore

    moved = SessionStore(session_key=key).load()[BACKEND_SESSION_KEY]
    assert moved.startswith("cms.accounts.backends.")
    assert client.get(reverse("my_portrait")).status_code == 200


def test_a_session_naming_an_unknown_backend_is_signed_out(client, db):
    teacher = TeacherFactory()
    sign_in_with_backend(client, teacher.user, "somewhere.else.Backend")
    response = client.get(reverse("my_portrait"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_deactivated_user_is_signed_out_at_her_next_request(client, db):
    teacher = TeacherFactory()
    client.force_login(teacher.user)
    assert client.get(reverse("my_portrait")).status_code == 200
    type(teacher.user).objects.filter(pk=teacher.user.pk).update(is_active=False)
    assert client.get(reverse("my_portrait")).status_code == 302


def test_a_password_changed_elsewhere_ends_the_session(client, db):
    teacher = TeacherFactory()
    client.force_login(teacher.user)
    assert client.get(reverse("my_portrait")).status_code == 200
    teacher.user.set_password("another-long-passphrase-2026")
    teacher.user.save()
    assert client.get(reverse("my_portrait")).status_code == 302


@postgres_only
def test_user_roles_and_teacher_profile_come_in_one_query(client, db):
    teacher = TeacherFactory()
    grant(teacher.user, Role.TRAINER)
    client.force_login(teacher.user)
    client.get(reverse("my_portrait"))  # what the page keeps is kept
    response, sql = statements(client, reverse("my_portrait"))
    assert response.status_code == 200
    assert response.wsgi_request.user._roles_cache == {Role.TRAINER}
    # The session, then the user with her profile, roles and app: nothing
    # else reads the user, her roles or her profile.
    assert len(sql) == 2, sql
    assert "django_session" in sql[0]
    assert "accounts_roleassignment" in sql[1] and "accounts_teacherprofile" in sql[1]


@postgres_only
def test_a_role_granted_or_withdrawn_shows_at_the_next_request(
    client, district_tree, settings
):
    settings.MFA_REQUIRED_FOR_ADMINS = False
    teacher = district_tree["teachers"]["SA1"][0]
    client.force_login(teacher.user)
    assert client.get(reverse("teacher_list")).status_code == 403
    grant(teacher.user, Role.HR, district_tree["school_a1"])
    assert client.get(reverse("teacher_list")).status_code == 200
    RoleAssignment.objects.filter(user=teacher.user, role=Role.HR).delete()
    assert client.get(reverse("teacher_list")).status_code == 403


def test_an_authenticator_app_added_or_removed_counts_at_once(
    client, district_tree, settings
):
    settings.MFA_REQUIRED_FOR_ADMINS = True
    hr = hr_user(district_tree["dist_a"])
    client.force_login(hr)
    response = client.get(reverse("teacher_list"))
    assert response["Location"] == reverse("mfa_activate_totp")
    TOTP.activate(hr, generate_totp_secret())
    assert client.get(reverse("teacher_list")).status_code == 200
    Authenticator.objects.filter(user=hr).delete()
    response = client.get(reverse("teacher_list"))
    assert response["Location"] == reverse("mfa_activate_totp")


class TestSignInPageProviders:
    def test_no_social_app_query_while_there_are_none(self, client, db):
        client.get(reverse("account_login"))
        response, sql = statements(client, reverse("account_login"))
        assert response.status_code == 200
        assert not [s for s in sql if "socialaccount_socialapp" in s], sql

    def test_a_provider_added_in_the_database_shows_at_once(self, client, db):
        assert (
            "西湖统一认证" not in client.get(reverse("account_login")).content.decode()
        )
        app = SocialApp.objects.create(
            provider="openid_connect",
            provider_id="westlake",
            name="西湖统一认证",
            client_id="c1",
            settings={"server_url": "https://id.example.test"},
        )
        html = client.get(reverse("account_login")).content.decode()
        assert "西湖统一认证" in html
        app.delete()
        assert (
            "西湖统一认证" not in client.get(reverse("account_login")).content.decode()
        )

    def test_with_the_cache_down_the_providers_are_read_each_time(
        self, client, db, cache_unreachable
    ):
        SocialApp.objects.create(
            provider="openid_connect",
            provider_id="westlake",
            name="西湖统一认证",
            client_id="c1",
            settings={"server_url": "https://id.example.test"},
        )
        assert "西湖统一认证" in client.get(reverse("account_login")).content.decode()


def test_her_profile_reads_as_the_orm_reads_it(client, db):
    """What the one-query load builds equals what the ORM reads: every field
    of the user and of her teacher profile, lists (JSON) included."""
    from django.forms.models import model_to_dict

    from cms.accounts.backends import load_signed_in_user
    from cms.accounts.models import TeacherProfile

    teacher = TeacherFactory(subjects=["数学", "信息科技"], grade_bands=["初中"])
    loaded = load_signed_in_user(str(teacher.user.pk))
    fresh = type(teacher.user).objects.get(pk=teacher.user.pk)
    assert model_to_dict(loaded) == model_to_dict(fresh)
    assert loaded.password == fresh.password and loaded.last_login == fresh.last_login
    assert model_to_dict(loaded.teacher_profile) == model_to_dict(
        TeacherProfile.objects.get(pk=teacher.pk)
    )
    assert loaded.teacher_profile.subjects == ["数学", "信息科技"]
    assert loaded.teacher_profile.user is loaded
    # A user without a profile: none, and no query to find that out.
    other = type(teacher.user).objects.create_user("plain@example.test", "x" * 12)
    plain = load_signed_in_user(str(other.pk))
    with CaptureQueriesContext(connection) as queries:
        assert getattr(plain, "teacher_profile", None) is None
    assert len(queries) == 0
    assert load_signed_in_user("999999999") is None
    assert load_signed_in_user("not-a-number") is None


class TestSessionStore:
    def test_an_expired_session_signs_her_out(self, client, db):
        from django.contrib.sessions.models import Session
        from django.utils import timezone

        teacher = TeacherFactory()
        client.force_login(teacher.user)
        assert client.get(reverse("my_portrait")).status_code == 200
        Session.objects.update(expire_date=timezone.now())
        assert client.get(reverse("my_portrait")).status_code == 302

    def test_an_unknown_or_malformed_key_is_no_session(self, client, db):
        for key in ("a" * 32, "short", "x' OR '1'='1" + "a" * 30):
            client.cookies["sessionid"] = key
            response = client.get(reverse("my_portrait"))
            assert response.status_code == 302
            assert response.wsgi_request.session.session_key is None

    def test_a_session_written_by_djangos_store_reads_the_same(self, db):
        from django.contrib.sessions.backends.db import SessionStore as Django

        from cms.accounts.sessions import SessionStore

        theirs = Django()
        theirs["cart"] = {"课程": [1, 2]}
        theirs.create()
        ours = SessionStore(session_key=theirs.session_key)
        assert ours["cart"] == {"课程": [1, 2]}
        ours["more"] = 1
        ours.save()
        assert Django(session_key=theirs.session_key).load() == {
            "cart": {"课程": [1, 2]},
            "more": 1,
        }


@postgres_only
def test_her_hr_scopes_read_with_her_are_those_the_orm_reads(district_tree):
    """Two HR scopes (out of tree order), a trainer role elsewhere: the
    scopes loaded with her are the ORM's, in its order, and change with
    her assignments at her next load."""
    from cms.accounts import scoping
    from cms.accounts.backends import load_signed_in_user

    hr = hr_user(district_tree["school_b1"])
    grant(hr, Role.HR, district_tree["dist_a"])
    grant(hr, Role.TRAINER, district_tree["city"])
    loaded = load_signed_in_user(str(hr.pk))
    fresh = type(hr).objects.get(pk=hr.pk)
    assert [
        (o.pk, o.path, o.depth, o.numchild, o.name, o.kind, o.code)
        for o in loaded._hr_scopes_cache
    ] == [
        (o.pk, o.path, o.depth, o.numchild, o.name, o.kind, o.code)
        for o in scoping.hr_scopes(fresh)
    ]
    assert [o.name for o in loaded._hr_scopes_cache] == ["东湖区", "西山中心小学"]
    RoleAssignment.objects.filter(user=hr, role=Role.HR).delete()
    again = load_signed_in_user(str(hr.pk))
    assert again._hr_scopes_cache == [] and scoping.hr_scopes(again) == []


@postgres_only
def test_an_hr_page_reads_her_with_one_statement(client, district_tree, settings):
    settings.MFA_REQUIRED_FOR_ADMINS = True
    hr = hr_user(district_tree["dist_a"])
    TOTP.activate(hr, generate_totp_secret())
    client.force_login(hr)
    client.get(reverse("teacher_list"))
    response, sql = statements(client, reverse("teacher_list"))
    assert response.status_code == 200
    # Her scopes and her authenticator app came with her: no statement of
    # their own (the page itself is kept for her scope).
    assert len(sql) == 2, sql
    assert "django_session" in sql[0] and '"accounts_organisation"' in sql[1]
