"""Issue 17 item 9: each role's dashboard is where her work starts."""

import pytest
from django.urls import reverse

from cms.accounts.models import Role
from cms.studios import services as studio_services
from cms.studios.models import Membership
from tests.factories import TeacherFactory, UserFactory, grant, hr_user
from tests.factories.courses import make_course

pytestmark = pytest.mark.django_db


def test_trainer_dashboard_links_courses_grading_and_check_in_screens(client):
    trainer = grant(UserFactory(), Role.TRAINER)
    course = make_course(title="数据素养入门", trainers=[trainer], sessions=1)
    make_course(title="别人的课程")
    session = course.sessions.get()
    client.force_login(trainer)
    html = client.get(reverse("dashboard")).content.decode()
    work = html.split('id="trainer-work"')[1].split("</section>")[0]
    assert "数据素养入门" in work and course.url in work
    assert "别人的课程" not in work
    assert reverse("grading_queue") in work
    assert reverse("session_screen", args=[session.pk]) in work
    assert reverse("review_queue") in work
    assert client.get(reverse("session_screen", args=[session.pk])).status_code == 200


def test_leader_dashboard_links_her_studio_management(client, district_tree):
    leader = TeacherFactory(school=district_tree["school_a1"])
    grant(leader.user, Role.STUDIO_LEADER, district_tree["dist_a"])
    studio = studio_services.studio_create(
        title="数据驱动名师工作室",
        kind="名师",
        leader=leader.user,
        region=district_tree["dist_a"],
        subject="数学",
    )
    applicant = district_tree["teachers"]["SA2"][0]
    Membership.objects.create(
        studio=studio, teacher=applicant, status=Membership.Status.APPLIED
    )
    client.force_login(leader.user)
    html = client.get(reverse("dashboard")).content.decode()
    work = html.split('id="leader-work"')[1].split("</section>")[0]
    assert studio.url in work
    assert reverse("studio_members", args=[studio.pk]) in work
    assert "待审核申请 1 份" in work
    assert reverse("studio_activity_new", args=[studio.pk]) in work
    assert reverse("studio_review_queue") in work
    # Her own learning is there too: she is a teacher as well.
    assert 'id="teacher-work"' in html


def test_hr_dashboard_links_every_hr_screen(client, district_tree):
    hr = hr_user(district_tree["dist_a"])
    client.force_login(hr)
    html = client.get(reverse("dashboard")).content.decode()
    work = html.split('id="hr-work"')[1].split("</div>")[0]
    for name in (
        "teacher_list",
        "org_assessment",
        "org_credits",
        "recognition_queue",
        "org_overview",
        "org_credentials",
        "org_studios",
        "campaign_list",
    ):
        assert reverse(name) in work, name
    assert 'id="trainer-work"' not in html and 'id="leader-work"' not in html
