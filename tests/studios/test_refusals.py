"""A refused action reads the same everywhere: the service's message, shown by
the one handler (cms.shared.errors.application_errors), never a server error."""

import json

import pytest
from django.urls import reverse

from cms.studios.models import Membership

pytestmark = pytest.mark.django_db


def test_a_refusal_is_shown_on_the_page_she_returns_to(client, activity):
    studio = activity.studio
    client.force_login(studio.leader)
    url = reverse("studio_join", args=[studio.pk])
    response = client.post(url, {"message": "我也想加入"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == studio.url
    assert "您是这个工作室的主持人" in response.content.decode()
    assert not Membership.objects.filter(studio=studio, message="我也想加入").exists()


def test_a_refusal_asked_for_as_json_is_json(client, activity):
    studio = activity.studio
    client.force_login(studio.leader)
    response = client.post(
        reverse("studio_join", args=[studio.pk]),
        {"message": "x"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert json.loads(response.content) == {"error": "您是这个工作室的主持人。"}
