"""Public links follow the address the site is served on (`make run PORT=...`)."""

import json
import subprocess

import pytest
from django.test import override_settings

from credits.transcripts import verify_url

from .conftest import credential_of

pytestmark = pytest.mark.django_db


def test_make_run_hands_its_address_to_seeding_and_serving():
    plan = subprocess.run(  # noqa: S603
        ["make", "-n", "run", "HOST=127.0.0.1", "PORT=8101"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    commands = [line for line in plan.splitlines() if "manage.py seed_demo" in line]
    commands += [line for line in plan.splitlines() if "manage.py runserver" in line]
    assert len(commands) == 2
    assert all("SITE_BASE_URL=http://127.0.0.1:8101" in c for c in commands)


@override_settings(SITE_BASE_URL="http://127.0.0.1:8101")
def test_credential_ids_status_lists_and_transcript_links_name_that_address(
    credited,
):
    from badges.services import credentials_issue
    from tests.badges.conftest import append

    # Issued while the site is served on port 8101.
    record = append(credited, 99, "在 8101 端口上学习的课程")
    credentials_issue([record.pk])
    document = json.dumps(credential_of(credited, "在 8101 端口上学习的课程").document)
    assert "127.0.0.1:8000" not in document
    assert "http://127.0.0.1:8101/credentials/status/" in document
    from credits.services import transcript_issue

    transcript, _progress = transcript_issue(teacher=credited)
    assert verify_url(transcript).startswith("http://127.0.0.1:8101/")


def test_issuers_keep_the_did_they_were_created_with(credited, settings):
    """Moving the site to another address changes its links, not who signed:
    the issuer keeps its DID, and what it signed before still verifies."""
    from badges.keys import issuer_did, platform_issuer
    from badges.models import Issuer
    from badges.services import credentials_issue
    from badges.verify import verify_credential
    from tests.badges.conftest import append

    before = credential_of(credited).document
    platform = platform_issuer()
    created_with = issuer_did(platform)
    assert created_with == "did:web:127.0.0.1%3A8000"

    settings.SITE_BASE_URL = "http://127.0.0.1:8101"
    assert issuer_did(Issuer.objects.get(pk=platform.pk)) == created_with
    record = append(credited, 98, "搬家之后的课程")
    credentials_issue([record.pk])
    after = credential_of(credited, "搬家之后的课程").document
    assert after["issuer"]["id"] == created_with
    for document in (before, after):
        result = verify_credential(document)
        assert result.ok and result.recognised, result.checks
    # A district centre registered after the move is named at the new address.
    from tests.factories import OrganisationFactory

    centre = Issuer.objects.create(
        slug="xinqu", name="新区教师发展中心", organisation=OrganisationFactory()
    )
    assert centre.did == "did:web:127.0.0.1%3A8101:issuers:xinqu"
