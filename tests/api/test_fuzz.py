"""schemathesis fuzzes the served OpenAPI document against a running server
(pytest-django's live server, a real HTTP server on this machine): no server
errors, and every response matches the status codes, content types and
schemas the document declares. Bounded: a few examples per operation."""

import datetime
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from badges.services import credentials_issue
from cms.api.services import api_client_create
from credits.services import credit_record_append

from .conftest import ALL_SCOPES, get_token

pytestmark = pytest.mark.api_fuzz
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.fixture
def fuzz_data(transactional_db, district_tree, rules):
    records = [
        credit_record_append(
            teacher=teacher,
            kind="online_course",
            category="通识",
            source_type="fuzz",
            source_title="数据素养",
            hours=Decimal(3),
            earned_on=datetime.date.today(),
            idempotency_key=f"fuzz:{teacher.pk}",
        )
        for teachers in district_tree["teachers"].values()
        for teacher in teachers
    ]
    credentials_issue([r.pk for r in records])


def test_schemathesis_finds_no_server_errors_and_no_schema_violations(
    live_server, fuzz_data, district_tree, client, tmp_path
):
    if not SCHEMATHESIS.exists():
        pytest.skip("schemathesis is not installed (the dev extra)")
    api_client, secret = api_client_create(
        name="fuzz",
        organisation=district_tree["dist_a"],
        scopes=ALL_SCOPES,
        allowed_kinds=["online_course", "offline_training"],
        provider_code="fuzz",
        rate_limit_per_minute=1_000_000,
    )
    token = get_token(client, api_client.client_id, secret)
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{live_server.url}/api/v1/openapi.json",
            "--checks",
            "not_a_server_error,status_code_conformance,"
            "content_type_conformance,response_schema_conformance",
            "--max-examples",
            os.environ.get("API_FUZZ_EXAMPLES", "10"),
            "--phases",
            "examples,coverage,fuzzing",
            "--seed",
            "20261203",
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--request-timeout",
            "30",
            "--no-color",
            "-H",
            f"Authorization: Bearer {token}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
