"""Platform admins maintain the organisation tree; nobody else can."""

import pytest

from cms.accounts.models import Organisation, OrganisationKind
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_platform_admin_adds_a_school_under_a_district(client, district_tree):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    changelist = client.get("/django-admin/accounts/organisation/")
    assert changelist.status_code == 200
    assert "东湖区" in changelist.content.decode()
    district = district_tree["dist_a"]
    response = client.post(
        "/django-admin/accounts/organisation/add/",
        {
            "name": "东湖区新建小学",
            "kind": OrganisationKind.SCHOOL,
            "code": "NEW1",
            "treebeard_position": "first-child",
            "treebeard_ref_node": district.pk,
        },
    )
    assert response.status_code == 302
    school = Organisation.objects.get(code="NEW1")
    assert school.get_parent() == district
    # The Wagtail admin menu links to it (the sidebar is JSON-encoded in the page).
    assert (
        "/django-admin/accounts/organisation/" in client.get("/admin/").content.decode()
    )


def test_hr_cannot_open_the_organisation_admin(client, hr_dist_a):
    client.force_login(hr_dist_a)
    response = client.get("/django-admin/accounts/organisation/")
    assert response.status_code == 302
    assert "/django-admin/login/" in response["Location"]
