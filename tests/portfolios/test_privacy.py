"""Sharing, who looked, HR scope, the data download and deletion."""

import io
import json
import zipfile

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from cms.accounts.models import TeacherProfile, User
from credits.ledger import record_digest
from credits.models import CreditRecord
from portfolios.models import (
    DeletionRequest,
    Evidence,
    EvidenceReview,
    Goal,
    PortraitView,
    ShareLink,
)
from portfolios.services import teacher_data_erase
from tests.factories import hr_user
from training.models import AssessmentAnswer, AssessmentResult, Competency

pytestmark = pytest.mark.django_db


def test_share_link_shows_only_chosen_sections_and_dies_when_revoked(client, lin):
    client.force_login(lin.user)
    empty = client.post(reverse("share_links"), {})
    assert empty.status_code == 400 and "请至少选择一个部分" in empty.content.decode()
    client.post(reverse("share_links"), {"sections": ["profile", "credentials"]})
    link = ShareLink.objects.get(teacher=lin)
    client.logout()

    page = client.get(f"/p/{link.token}/").content.decode()
    assert "五维画像" in page and "人工智能助力课堂教学" in page
    assert (
        "学时学分" not in page and "成长时间线" not in page and "发展目标" not in page
    )
    view = PortraitView.objects.get(teacher=lin)
    assert view.via == "link" and view.viewer is None

    client.force_login(lin.user)
    assert "未登录访客" in client.get(reverse("portrait_views")).content.decode()
    confirm = client.get(reverse("share_revoke", args=[link.pk])).content.decode()
    assert "确定停用" in confirm
    client.post(reverse("share_revoke", args=[link.pk]))
    client.logout()
    assert client.get(f"/p/{link.token}/").status_code == 404
    assert client.get("/p/not-a-token/").status_code == 404


def test_hr_sees_only_their_own_teachers_portraits_and_is_logged(client, lin, world):
    hr_b1 = hr_user(world["school_b1"])
    client.force_login(hr_b1)
    assert client.get(reverse("org_portrait", args=[lin.pk])).status_code == 404
    hr_a1 = hr_user(world["school_a1"])
    client.force_login(hr_a1)
    page = client.get(reverse("org_portrait", args=[lin.pk]))
    assert page.status_code == 200 and "林晓" in page.content.decode()
    logged = PortraitView.objects.get(teacher=lin)
    assert logged.viewer == hr_a1 and logged.via == "hr"
    # Teachers reach no one else's portrait.
    client.force_login(world["teachers"]["SA1"][1].user)
    assert client.get(reverse("org_portrait", args=[lin.pk])).status_code == 403


def test_teachers_only_manage_their_own_goals_and_links(client, lin, world):
    indicator = Competency.objects.get(code="3.3.2", framework__code="jyt0646-2022")
    goal = Goal.objects.create(
        teacher=lin, indicator=indicator, target_level=4, due_on="2099-01-01"
    )
    link = ShareLink.objects.create(teacher=lin, sections=["profile"])
    client.force_login(world["teachers"]["SA1"][1].user)
    assert client.get(reverse("goal_edit", args=[goal.pk])).status_code == 404
    assert client.post(reverse("goal_delete", args=[goal.pk])).status_code == 404
    assert client.post(reverse("share_revoke", args=[link.pk])).status_code == 404
    assert Goal.objects.filter(pk=goal.pk).exists()
    link.refresh_from_db()
    assert link.revoked_at is None


def _rows_pointing_at(teacher) -> dict[str, int]:
    """Independently of the export code: every model's rows with a foreign key
    to her user or profile."""
    found = {}
    for model in apps.get_models():
        if model in (User, TeacherProfile):
            continue
        query = models.Q(pk__in=[])
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey):
                if field.related_model is User:
                    query |= models.Q(**{field.name: teacher.user_id})
                elif field.related_model is TeacherProfile:
                    query |= models.Q(**{field.name: teacher.pk})
        count = model._default_manager.filter(query).count()
        if count:
            found[model._meta.label_lower] = count
    return found


def test_the_download_holds_everything_about_her(client, lin, trainer):
    indicator = Competency.objects.get(code="3.1.3", framework__code="jyt0646-2022")
    evidence = Evidence.objects.create(
        teacher=lin, title="课堂实录", kind="lesson_video", link="https://example.cn/v"
    )
    evidence.indicators.add(indicator)
    EvidenceReview.objects.create(
        evidence=evidence, reviewer=trainer, status="done", levels={"3.1.3": 4}
    )
    Goal.objects.create(
        teacher=lin, indicator=indicator, target_level=4, due_on="2099-01-01"
    )
    ShareLink.objects.create(teacher=lin, sections=["profile"])
    DeletionRequest.objects.create(teacher=lin)
    from cms.accounts.services import notify

    notify(user=lin.user, title="测试消息")
    from portfolios.compute import portraits_recompute

    portraits_recompute(teacher_ids=[lin.pk])
    client.force_login(lin.user)

    response = client.get(reverse("portrait_export"))
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = json.loads(archive.read("manifest.json"))
    expected = _rows_pointing_at(lin)
    assert len(expected) >= 10
    for label, count in expected.items():
        assert manifest.get(label) == count, label
    # Reached through her rows: answers to her assessments, reviews of her evidence.
    assert (
        manifest["training.assessmentanswer"]
        == AssessmentAnswer.objects.filter(attempt__teacher=lin).count()
        > 0
    )
    assert manifest["portfolios.evidencereview"] == 1
    user_rows = json.loads(archive.read("data/accounts.user.json"))
    assert "password" not in user_rows[0] and user_rows[0]["email"] == lin.user.email
    profile = json.loads(archive.read("data/accounts.teacherprofile.json"))[0]
    assert profile["real_name"] == "林晓"


def test_deletion_request_then_erasure_keeps_the_ledger_intact(client, lin, world):
    client.force_login(lin.user)
    unconfirmed = client.post(reverse("portrait_deletion"), {"reason": "离职"})
    assert (
        unconfirmed.status_code == 400 and "请勾选确认" in unconfirmed.content.decode()
    )
    client.post(reverse("portrait_deletion"), {"reason": "离职", "confirm": "on"})
    request = DeletionRequest.objects.get(teacher=lin)
    assert "正在处理" in client.get(reverse("portrait_deletion")).content.decode()

    Goal.objects.create(
        teacher=lin,
        indicator=Competency.objects.get(code="3.3.2", framework__code="jyt0646-2022"),
        target_level=4,
        due_on="2099-01-01",
    )
    teacher_data_erase(lin)
    lin.refresh_from_db()
    lin.user.refresh_from_db()
    assert lin.real_name == "已注销" and not lin.user.is_active
    assert not lin.user.has_usable_password()
    assert not AssessmentResult.objects.filter(teacher=lin).exists()
    assert not Goal.objects.filter(teacher=lin).exists()
    records = list(CreditRecord.objects.filter(teacher=lin))
    assert records and all(record_digest(r) == r.hash for r in records)
    assert DeletionRequest.objects.filter(pk=request.pk).exists()


def test_studio_part_shows_her_roles_and_the_download_keeps_other_members_out(
    client, lin, world
):
    from cms.studios import services as studio_services
    from cms.studios.models import Membership
    from tests.factories import TeacherFactory
    from tests.factories.site import ensure_base_content

    ensure_base_content()
    studio = studio_services.studio_create(
        title="林晓信息科技工作室", kind="名师", leader=lin.user, region=world["dist_a"]
    )
    applicant = TeacherFactory(school=world["school_a2"])
    Membership.objects.create(
        studio=studio, teacher=applicant, message="申请人的私人说明"
    )
    client.force_login(lin.user)
    html = client.get(reverse("my_portrait")).content.decode()
    assert "林晓信息科技工作室" in html and "主持人" in html
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(reverse("portrait_export")).content)
    )
    everything = " ".join(
        archive.read(n).decode("utf-8", "replace")
        for n in archive.namelist()
        if n.endswith(".json")
    )
    assert "林晓信息科技工作室" in everything  # her studio
    assert "申请人的私人说明" not in everything  # someone else's application


def test_a_trainers_download_holds_her_learning_but_not_the_work_she_graded(
    client, lin, world
):
    from tests.factories import TeacherFactory
    from tests.factories.courses import make_course, make_rubric
    from training.courses import services as course_services

    rubric = make_rubric()
    course = make_course(
        title="林晓任教的课程", lessons=0, rubric=rubric, trainers=[lin.user]
    )
    learner = TeacherFactory(school=world["school_a2"])
    enrolment = course_services.course_enrol(course=course, teacher=learner)
    submission = course_services.assignment_submit(
        enrolment=enrolment, text="别人的作业正文"
    )
    c1, c2 = list(rubric.criteria.all())
    course_services.submission_grade(
        submission=submission, by=lin.user, criterion_scores={c1.pk: 9, c2.pk: 9}
    )
    own_course = make_course(title="林晓在学的课程", lessons=0, rubric=rubric)
    own = course_services.course_enrol(course=own_course, teacher=lin)
    course_services.assignment_submit(enrolment=own, text="林晓自己的作业")

    client.force_login(lin.user)
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(reverse("portrait_export")).content)
    )
    everything = " ".join(
        archive.read(n).decode("utf-8", "replace")
        for n in archive.namelist()
        if n.endswith(".json")
    )
    assert "林晓自己的作业" in everything
    assert "别人的作业正文" not in everything
