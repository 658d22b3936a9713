import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from cms.accounts import scoping
from cms.accounts.models import (
    Organisation,
    OrganisationKind,
    RoleAssignment,
    TeacherProfile,
    User,
)

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        Organisation.objects.count(),
        User.objects.count(),
        TeacherProfile.objects.count(),
        RoleAssignment.objects.count(),
    )


def test_seed_demo_builds_a_district_and_running_it_again_changes_nothing(capsys):
    call_command("seed_demo")
    output = capsys.readouterr().out
    first = snapshot()
    kinds = list(Organisation.objects.values_list("kind", flat=True))
    assert kinds.count(OrganisationKind.CITY) == 1
    assert kinds.count(OrganisationKind.DISTRICT) == 2
    assert kinds.count(OrganisationKind.SCHOOL) == 6
    assert TeacherProfile.objects.count() == 300
    assert "admin@example.com" in output and "Demo@2026" in output
    names = list(TeacherProfile.objects.values_list("real_name", flat=True))
    assert all("\u4e00" <= name[0] <= "\u9fff" for name in names)

    call_command("ledger_verify")  # the demo ledger's chain is intact

    call_command("seed_demo")
    assert snapshot() == first


def test_demo_logins_work_and_are_scoped():
    call_command("seed_demo")
    hr = authenticate(username="hr.dh", password="Demo@2026")
    assert hr is not None
    visible = scoping.teachers_visible_to(hr)
    assert visible.count() == 150
    assert not visible.filter(school__name__contains="西山区").exists()
