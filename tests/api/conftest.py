import base64
import datetime

import pytest

from cms.api.models import Scope
from cms.api.services import api_client_create

ALL_SCOPES = [str(s) for s in Scope.values]


@pytest.fixture
def rules(db):
    from credits.models import CreditRuleSet
    from credits.rules import DEFAULT_CONFIG

    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "全国通用", "config": DEFAULT_CONFIG},
    )


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def get_token(http, client_id: str, secret: str, scope: str = "") -> str:
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    response = http.post(
        "/api/v1/oauth/token", data, HTTP_AUTHORIZATION=basic(client_id, secret)
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


class Caller:
    """A Django test client that sends a bearer token."""

    def __init__(self, http, token: str):
        self.http, self.token = http, token

    def _auth(self):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    def get(self, path, params=None):
        return self.http.get(path, params or {}, **self._auth())

    def post(self, path, body=None):
        return self.http.post(
            path, body or {}, content_type="application/json", **self._auth()
        )

    def delete(self, path):
        return self.http.delete(path, **self._auth())


@pytest.fixture
def make_caller(client):
    def make(organisation, scopes=None, **kwargs):
        api_client, secret = api_client_create(
            name=f"系统 {organisation.name}",
            organisation=organisation,
            scopes=scopes or ALL_SCOPES,
            **kwargs,
        )
        caller = Caller(client, get_token(client, api_client.client_id, secret))
        caller.api_client, caller.secret = api_client, secret
        return caller

    return make


@pytest.fixture
def caller_a(make_caller, district_tree):
    return make_caller(
        district_tree["dist_a"],
        allowed_kinds=["online_course", "offline_training"],
        provider_code="prov-a",
    )


@pytest.fixture
def caller_b(make_caller, district_tree):
    return make_caller(district_tree["dist_b"], provider_code="prov-b")
