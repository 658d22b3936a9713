"""Issue 17 item 8: she can ask her studio leader to review her evidence;
declining asks for confirmation and asking again leaves one row."""

import pytest
from django.urls import reverse

from cms.accounts.models import Role
from cms.studios import services as studio_services
from cms.studios.models import Membership
from portfolios.models import Evidence, EvidenceReview
from tests.factories import TeacherFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(district_tree):
    teacher = district_tree["teachers"]["SA1"][0]
    # The leader teaches at another school; her role's scope is her own school.
    leader = TeacherFactory(real_name="张名师", school=district_tree["school_b1"])
    grant(leader.user, Role.STUDIO_LEADER, district_tree["school_b1"])
    studio = studio_services.studio_create(
        title="数据驱动名师工作室",
        kind="名师",
        leader=leader.user,
        region=district_tree["dist_b"],
    )
    Membership.objects.create(
        studio=studio, teacher=teacher, status=Membership.Status.ACTIVE
    )
    trainer = grant(UserFactory(), Role.TRAINER)
    evidence = Evidence.objects.create(
        teacher=teacher, title="函数单元课例", kind="design"
    )
    return teacher, leader, trainer, evidence


def test_her_studio_leader_is_offered_as_reviewer(client, setting):
    teacher, leader, trainer, evidence = setting
    client.force_login(teacher.user)
    html = client.get(reverse("evidence_list")).content.decode()
    select = html.split(f'id="reviewer-{evidence.pk}"')[1].split("</select>")[0]
    assert f'value="{leader.user.pk}"' in select and "数据驱动名师工作室" in select
    assert f'value="{trainer.pk}"' in select
    assert select.count(f'value="{leader.user.pk}"') == 1
    client.post(
        reverse("evidence_request_review", args=[evidence.pk]),
        {"reviewer": leader.user.pk},
    )
    assert EvidenceReview.objects.filter(
        evidence=evidence, reviewer=leader.user, status="requested"
    ).exists()


def test_someone_elses_leader_is_not_offered(client, setting, district_tree):
    teacher, leader, trainer, evidence = setting
    other = district_tree["teachers"]["SA2"][0]
    other_evidence = Evidence.objects.create(
        teacher=other, title="别人的成果", kind="design"
    )
    client.force_login(other.user)
    response = client.post(
        reverse("evidence_request_review", args=[other_evidence.pk]),
        {"reviewer": leader.user.pk},
    )
    assert response.status_code == 302
    assert not EvidenceReview.objects.filter(evidence=other_evidence).exists()


def test_decline_confirms_and_asking_again_keeps_one_row(client, setting):
    teacher, leader, trainer, evidence = setting
    review = EvidenceReview.objects.create(evidence=evidence, reviewer=leader.user)
    client.force_login(leader.user)
    page = client.get(reverse("review_edit", args=[review.pk])).content.decode()
    decline = page.split('id="decline-review"')[1].split(">")[0]
    assert "data-confirm=" in decline  # asked by static/js/site.js
    client.post(reverse("review_edit", args=[review.pk]), {"decline": "1"})
    client.post(reverse("review_edit", args=[review.pk]), {"decline": "1"})
    review.refresh_from_db()
    assert review.status == "declined"

    client.force_login(teacher.user)
    client.post(
        reverse("evidence_request_review", args=[evidence.pk]),
        {"reviewer": leader.user.pk},
    )
    rows = EvidenceReview.objects.filter(evidence=evidence, reviewer=leader.user)
    assert rows.count() == 1 and rows.get().status == "requested"
    html = client.get(reverse("evidence_list")).content.decode()
    assert html.count("张名师：") == 1
