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
    assert "127.0.0.1:8000" not in document and "127.0.0.1%3A8000" not in document
    assert "http://127.0.0.1:8101/credentials/status/" in document
    assert "did:web:127.0.0.1%3A8101" in document
    from credits.services import transcript_issue

    transcript, _progress = transcript_issue(teacher=credited)
    assert verify_url(transcript).startswith("http://127.0.0.1:8101/")
