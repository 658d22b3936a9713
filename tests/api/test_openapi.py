"""The OpenAPI document is valid OpenAPI 3 and the reference page renders it,
in Chinese, with nothing loaded from elsewhere."""

import re

from openapi_spec_validator import validate


def test_openapi_document_validates(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    validate(doc)
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for expected in (
        "/api/v1/oauth/token",
        "/api/v1/teachers",
        "/api/v1/teacher-batches",
        "/api/v1/credit-records",
        "/api/v1/credentials/{uid}/revoke",
        "/api/v1/teachers/{staff_number}/transcript.pdf",
        "/api/v1/courses",
        "/api/v1/enrolments",
        "/api/v1/assessment/levels",
        "/api/v1/webhooks",
    ):
        assert expected in paths
    flows = doc["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "/api/v1/oauth/token"


def test_reference_page_is_chinese_offline_and_shows_first_call(client, db):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "第一次调用" in html and "教师列表" in html
    assert "grant_type=client_credentials" in html
    assert "Authorization: Bearer" in html
    # No script or stylesheet from another host.
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", html)


def test_verify_api_still_served_beside_the_api(client, db):
    response = client.post(
        "/api/v1/credentials/verify", "not json", content_type="application/json"
    )
    assert response.status_code in (200, 400)
    assert response["Content-Type"].startswith("application/json")


def test_unknown_api_path_is_json_404(client, db):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert "接口地址不存在" in response.json()["detail"]
