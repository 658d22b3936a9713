"""OAuth 2.0 client credentials, personal tokens, revocation, rate limits and
the call log."""

import pytest

from cms.api.models import ApiCall
from cms.api.services import api_client_create, api_client_revoke

from .conftest import Caller, basic, get_token


@pytest.fixture
def registered(district_tree):
    return api_client_create(
        name="东湖区人事系统",
        organisation=district_tree["dist_a"],
        scopes=["teachers:read", "organisations:read"],
    )


def test_token_by_basic_auth_then_a_get(client, registered):
    api_client, secret = registered
    response = client.post(
        "/api/v1/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(api_client.client_id, secret),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and 3500 < body["expires_in"] <= 3600
    assert set(body["scope"].split()) == {"teachers:read", "organisations:read"}
    assert response["Cache-Control"] == "no-store"
    listed = client.get(
        "/api/v1/teachers", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}"
    )
    assert listed.status_code == 200
    assert len(listed.json()["items"]) == 4  # the four teachers of district A


def test_token_by_form_fields(client, registered):
    api_client, secret = registered
    response = client.post(
        "/api/v1/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": api_client.client_id,
            "client_secret": secret,
        },
    )
    assert response.status_code == 200


def test_secret_is_not_stored(registered):
    api_client, secret = registered
    api_client.refresh_from_db()
    assert secret not in api_client.secret_hash


@pytest.mark.parametrize(
    "data,status,error",
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        (
            {"grant_type": "client_credentials", "scope": "credits:append"},
            400,
            "invalid_scope",
        ),
    ],
)
def test_token_errors(client, registered, data, status, error):
    api_client, secret = registered
    response = client.post(
        "/api/v1/oauth/token",
        data,
        HTTP_AUTHORIZATION=basic(api_client.client_id, secret),
    )
    assert response.status_code == status
    assert response.json()["error"] == error


def test_wrong_secret_is_invalid_client(client, registered):
    api_client, _secret = registered
    response = client.post(
        "/api/v1/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(api_client.client_id, "wrong"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "Basic" in response["WWW-Authenticate"]


def test_narrowed_scope_is_enforced(client, registered):
    api_client, secret = registered
    token = get_token(client, api_client.client_id, secret, scope="organisations:read")
    caller = Caller(client, token)
    assert caller.get("/api/v1/organisations").status_code == 200
    refused = caller.get("/api/v1/teachers")
    assert refused.status_code == 403
    assert "teachers:read" in refused.json()["detail"]


def test_revoked_client_is_refused_at_once(client, registered):
    api_client, secret = registered
    caller = Caller(client, get_token(client, api_client.client_id, secret))
    assert caller.get("/api/v1/teachers").status_code == 200
    api_client_revoke(client=api_client)
    # The token issued before is refused on the very next call ...
    response = caller.get("/api/v1/teachers")
    assert response.status_code == 401
    assert "令牌" in response.json()["detail"]
    # ... and no new token is issued.
    again = client.post(
        "/api/v1/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(api_client.client_id, secret),
    )
    assert again.status_code == 401


def test_deactivated_in_admin_is_refused_at_once(client, registered):
    api_client, secret = registered
    caller = Caller(client, get_token(client, api_client.client_id, secret))
    type(api_client).objects.filter(pk=api_client.pk).update(active=False)
    assert caller.get("/api/v1/teachers").status_code == 401


def test_no_token_and_bad_token(client, db):
    assert client.get("/api/v1/teachers").status_code == 401
    response = client.get("/api/v1/teachers", HTTP_AUTHORIZATION="Bearer tdl_nope")
    assert response.status_code == 401


def test_rate_limit_per_client(client, district_tree):
    limited, secret = api_client_create(
        name="限流",
        organisation=district_tree["dist_a"],
        scopes=["organisations:read"],
        rate_limit_per_minute=3,
    )
    other, other_secret = api_client_create(
        name="另一个",
        organisation=district_tree["dist_a"],
        scopes=["organisations:read"],
        rate_limit_per_minute=3,
    )
    caller = Caller(client, get_token(client, limited.client_id, secret))
    statuses = [caller.get("/api/v1/organisations").status_code for _ in range(4)]
    if statuses[-1] != 429:  # the minute turned over mid-test; once more
        statuses = [caller.get("/api/v1/organisations").status_code for _ in range(4)]
    assert statuses[-1] == 429
    last = caller.get("/api/v1/organisations")
    assert last.status_code == 429 and int(last["Retry-After"]) > 0
    assert "频繁" in last.json()["detail"]
    # Another client is not held up.
    other_caller = Caller(client, get_token(client, other.client_id, other_secret))
    assert other_caller.get("/api/v1/organisations").status_code == 200


def test_every_call_is_logged_with_its_client(client, registered):
    api_client, secret = registered
    caller = Caller(client, get_token(client, api_client.client_id, secret))
    caller.get("/api/v1/teachers")
    caller.get("/api/v1/credit-records")  # no scope: 403, logged as well
    calls = list(ApiCall.objects.filter(client=api_client).order_by("at"))
    assert [(c.path, c.status) for c in calls] == [
        ("/api/v1/teachers", 200),
        ("/api/v1/credit-records", 403),
    ]


def test_personal_token_reads_only_own_data(client, district_tree):
    teacher = district_tree["teachers"]["SA1"][0]
    client.force_login(teacher.user)
    page = client.post("/api/tokens/", {"name": "我的脚本"})
    assert page.status_code == 200
    token = page.context["new_token"]
    assert token in page.content.decode()
    client.logout()
    caller = Caller(client, token)
    listed = caller.get("/api/v1/teachers").json()["items"]
    assert [t["staff_number"] for t in listed] == [teacher.staff_number]
    other = district_tree["teachers"]["SA1"][1]
    assert caller.get(f"/api/v1/teachers/{other.staff_number}").status_code == 404
    # Read only: no writes, no organisation lists.
    assert caller.get("/api/v1/organisations").status_code == 403
    assert caller.post("/api/v1/teacher-batches", {"teachers": []}).status_code in (
        403,
        422,
    )
    assert (
        caller.post(
            "/api/v1/teacher-batches",
            {"teachers": [{"real_name": "x", "staff_number": "X1", "school": "SA1"}]},
        ).status_code
        == 403
    )
    # Revoked from the page, refused at once.
    client.force_login(teacher.user)
    from cms.api.models import AccessToken

    token_id = AccessToken.objects.get(user=teacher.user).pk
    client.post("/api/tokens/", {"revoke": str(token_id)})
    client.logout()
    assert caller.get("/api/v1/teachers").status_code == 401
