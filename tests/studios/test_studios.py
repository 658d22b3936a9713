"""双名 studios: membership, publishing through review, activities and credits,
permissions, uploads, and what a studio achieves."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cms.studios import services
from cms.studios.models import (
    Activity,
    Membership,
    Registration,
    StudioArticlePage,
    StudioResourcePage,
)
from credits.data import SourceKind
from credits.models import CreditRecord
from tests.factories import TeacherFactory, hr_user
from tests.factories.credits import national_rules

pytestmark = pytest.mark.django_db


@pytest.fixture
def studios(district_tree):
    from tests.factories.site import ensure_base_content

    ensure_base_content()
    national_rules()
    leader_a = TeacherFactory(real_name="张名师", school=district_tree["school_a1"])
    leader_b = TeacherFactory(real_name="李名师", school=district_tree["school_b1"])
    a = services.studio_create(
        title="张名师数学工作室",
        kind="名师",
        leader=leader_a.user,
        region=district_tree["dist_a"],
        subject="数学",
        research_direction="大数据支持的精准教学",
    )
    b = services.studio_create(
        title="李名师语文工作室",
        kind="名师",
        leader=leader_b.user,
        region=district_tree["dist_b"],
        subject="语文",
        research_direction="整本书阅读",
    )
    return {"a": a, "b": b, "leader_a": leader_a, "leader_b": leader_b, **district_tree}


def member(studio, role="backbone", school=None):
    teacher = TeacherFactory(school=school) if school else TeacherFactory()
    Membership.objects.create(
        studio=studio, teacher=teacher, role=role, status=Membership.Status.ACTIVE
    )
    return teacher


def test_index_filters_and_finds_chinese_text(client, studios):
    index = studios["a"].get_parent()
    html = client.get(index.url, {"q": "精准教学"}).content.decode()
    assert "张名师数学工作室" in html and "李名师语文工作室" not in html
    html = client.get(index.url, {"q": "阅读"}).content.decode()
    assert "李名师语文工作室" in html and "张名师数学工作室" not in html
    html = client.get(index.url, {"subject": "语文"}).content.decode()
    assert "李名师语文工作室" in html and "张名师数学工作室" not in html
    html = client.get(index.url, {"region": studios["dist_a"].pk}).content.decode()
    assert "张名师数学工作室" in html and "李名师语文工作室" not in html
    assert "没有找到" in client.get(index.url, {"q": "物理竞赛"}).content.decode()


def test_apply_approve_and_history(client, studios):
    studio = studios["a"]
    teacher = TeacherFactory(school=studios["school_a2"])
    client.force_login(teacher.user)
    client.post(reverse("studio_join", args=[studio.pk]), {"message": "想学习精准教学"})
    again = client.post(reverse("studio_join", args=[studio.pk]), follow=True)
    assert "已经申请过" in again.content.decode()
    membership = Membership.objects.get(studio=studio, teacher=teacher)
    assert client.get(reverse("studio_members", args=[studio.pk])).status_code == 403

    client.force_login(studios["leader_a"].user)
    page = client.get(reverse("studio_members", args=[studio.pk])).content.decode()
    assert "想学习精准教学" in page
    client.post(
        reverse("studio_members", args=[studio.pk]),
        {
            "membership": membership.pk,
            "action": "approve",
            "role": "follower",
            "reply": "欢迎",
        },
    )
    membership.refresh_from_db()
    assert (
        membership.status == "active" and membership.starts_on == timezone.localdate()
    )
    client.post(
        reverse("studio_members", args=[studio.pk]),
        {"membership": membership.pk, "action": "end"},
    )
    membership.refresh_from_db()
    assert membership.status == "ended" and membership.ends_on
    # Past members keep their history, and count as trained.
    from cms.studios.selectors import studio_figures

    assert studio_figures(studio)["members_trained"] == 2  # the leader and her


def _article(client, studio, title="基于数据的作业设计"):
    return client.post(
        reverse("studio_write", args=[studio.pk, "article"]),
        {"title": title, "kind": "研修文章", "body": "第一段\n第二段"},
    )


def test_member_article_goes_through_the_leader_and_only_then_is_public(
    client, studios
):
    studio = studios["a"]
    writer = member(studio)
    client.force_login(writer.user)
    assert _article(client, studio).status_code == 302
    page = StudioArticlePage.objects.get(title="基于数据的作业设计")
    assert not page.live
    client.logout()
    assert (
        client.get(page.url if page.url else f"{studio.url}{page.slug}/").status_code
        == 404
    )

    # Another studio's leader sees nothing of it.
    client.force_login(studios["leader_b"].user)
    assert client.get(reverse("studio_drafts", args=[studio.pk])).status_code == 403
    assert (
        "基于数据的作业设计"
        not in client.get(reverse("studio_review_queue")).content.decode()
    )

    client.force_login(studios["leader_a"].user)
    queue = client.get(reverse("studio_review_queue")).content.decode()
    assert "基于数据的作业设计" in queue
    state = page.workflow_states.get().current_task_state
    no_comment = client.post(
        reverse("studio_review", args=[state.pk]), {"decision": "reject"}
    )
    assert no_comment.status_code == 400 and "修改意见" in no_comment.content.decode()
    client.post(
        reverse("studio_review", args=[state.pk]),
        {"decision": "reject", "comment": "请补充数据来源"},
    )
    page.refresh_from_db()
    assert not page.live
    client.force_login(writer.user)
    drafts = client.get(reverse("studio_drafts", args=[studio.pk])).content.decode()
    assert "已退回" in drafts and "请补充数据来源" in drafts
    client.logout()
    assert (
        client.get(f"{studio.url}{page.slug}/").status_code == 404
    )  # rejected: never public

    client.force_login(writer.user)
    _article(client, studio, "基于数据的作业设计（修改稿）")
    second = StudioArticlePage.objects.get(title="基于数据的作业设计（修改稿）")
    client.force_login(studios["leader_a"].user)
    state = second.workflow_states.get().current_task_state
    client.post(reverse("studio_review", args=[state.pk]), {"decision": "approve"})
    second.refresh_from_db()
    assert second.live
    client.logout()
    assert "第二段" in client.get(second.url).content.decode()


def test_leaders_own_article_is_reviewed_by_the_district(client, studios):
    studio = studios["a"]
    client.force_login(studios["leader_a"].user)
    _article(client, studio, "主持人的研修心得")
    page = StudioArticlePage.objects.get(title="主持人的研修心得")
    assert (
        "主持人的研修心得"
        not in client.get(reverse("studio_review_queue")).content.decode()
    )
    hr_b = hr_user(studios["dist_b"])
    client.force_login(hr_b)
    assert (
        "主持人的研修心得"
        not in client.get(reverse("studio_review_queue")).content.decode()
    )
    state = page.workflow_states.get().current_task_state
    assert client.get(reverse("studio_review", args=[state.pk])).status_code == 404
    hr_a = hr_user(studios["dist_a"])
    client.force_login(hr_a)
    assert (
        "主持人的研修心得"
        in client.get(reverse("studio_review_queue")).content.decode()
    )
    client.post(reverse("studio_review", args=[state.pk]), {"decision": "approve"})
    page.refresh_from_db()
    assert page.live


def test_followers_and_outsiders_cannot_publish(client, studios):
    studio = studios["a"]
    follower = member(studio, role="follower")
    client.force_login(follower.user)
    assert _article(client, studio).status_code == 403
    backbone_b = member(studios["b"])
    client.force_login(backbone_b.user)
    assert _article(client, studio).status_code == 403
    assert client.get(reverse("studio_drafts", args=[studio.pk])).status_code == 403
    assert not StudioArticlePage.objects.exists()


def test_resource_uploads_are_checked_and_counted(client, studios):
    studio = studios["a"]
    writer = member(studio)
    client.force_login(writer.user)
    fake = client.post(
        reverse("studio_write", args=[studio.pk, "resource"]),
        {
            "title": "课件",
            "kind": "课件",
            "upload": SimpleUploadedFile("课件.pdf", b"<html>not a pdf"),
        },
    )
    assert (
        fake.status_code == 400 and "不是一个真正的 PDF 文件" in fake.content.decode()
    )
    client.post(
        reverse("studio_write", args=[studio.pk, "resource"]),
        {
            "title": "函数图像课件",
            "kind": "课件",
            "upload": SimpleUploadedFile("课件.pdf", b"%PDF-1.4\n%%EOF\n"),
        },
    )
    resource = StudioResourcePage.objects.get()
    client.logout()
    assert (
        client.get(reverse("studio_resource_download", args=[resource.pk])).status_code
        == 404
    )
    client.force_login(studios["leader_a"].user)
    state = resource.workflow_states.get().current_task_state
    client.post(reverse("studio_review", args=[state.pk]), {"decision": "approve"})
    client.logout()
    resource.refresh_from_db()
    client.get(resource.url)
    download = client.get(reverse("studio_resource_download", args=[resource.pk]))
    assert download.status_code == 200
    resource.refresh_from_db()
    assert (resource.views, resource.downloads) == (1, 1)


def test_activity_check_in_credits_exactly_once(client, studios):
    studio = studios["a"]
    now = timezone.now()
    activity = Activity.objects.create(
        studio=studio,
        title="函数单元集体备课",
        kind="集体备课",
        starts_at=now - datetime.timedelta(minutes=10),
        ends_at=now + datetime.timedelta(hours=2),
        place="东湖实验小学",
        capacity=2,
        hours=3,
    )
    teacher = TeacherFactory(school=studios["school_a1"])
    client.force_login(teacher.user)
    wrong = client.post(
        reverse("studio_activity", args=[activity.pk]),
        {
            "action": "check_in",
            "code": "000000" if activity.code != "000000" else "111111",
        },
        follow=True,
    )
    assert "签到码不正确" in wrong.content.decode()
    for _ in range(3):  # double clicks, retries
        client.post(
            reverse("studio_activity", args=[activity.pk]),
            {"action": "check_in", "code": activity.code},
        )
    registration = Registration.objects.get(activity=activity, teacher=teacher)
    assert registration.checked_in_at and registration.credited
    records = CreditRecord.objects.filter(
        teacher=teacher, source_type=SourceKind.STUDIO_ACTIVITY
    )
    assert records.count() == 1 and records.get().hours == 3
    # Capacity.
    client.force_login(TeacherFactory().user)
    client.post(reverse("studio_activity", args=[activity.pk]), {"action": "register"})
    client.force_login(TeacherFactory().user)
    full = client.post(
        reverse("studio_activity", args=[activity.pk]),
        {"action": "register"},
        follow=True,
    )
    assert "名额已满" in full.content.decode()
    # The leader sees the code, the QR and the attendance list.
    client.force_login(studios["leader_a"].user)
    page = client.get(reverse("studio_activity", args=[activity.pk])).content.decode()
    assert activity.code in page and "<svg" in page and teacher.real_name in page


def test_reflection_assessed_before_credit(client, studios):
    studio = studios["a"]
    now = timezone.now()
    activity = Activity.objects.create(
        studio=studio,
        title="公开课观摩",
        kind="公开课",
        starts_at=now,
        ends_at=now + datetime.timedelta(hours=1),
        place="报告厅",
        hours=2,
        needs_reflection=True,
    )
    teacher = TeacherFactory()
    registration = services.check_in(
        activity=activity, teacher=teacher, code=activity.code
    )
    assert not registration.credited
    services.reflection_submit(registration=registration, text="收获很大")
    with pytest.raises(services.NotAllowed):
        services.reflection_assess(
            registration=registration, by=teacher.user, passed=True
        )
    services.reflection_assess(
        registration=registration, by=studios["leader_a"].user, passed=True
    )
    services.reflection_assess(
        registration=registration, by=studios["leader_a"].user, passed=True
    )
    assert (
        CreditRecord.objects.filter(
            teacher=teacher, source_type=SourceKind.STUDIO_ACTIVITY
        ).count()
        == 1
    )


def test_hr_overview_shows_their_region_only(client, studios):
    hr = hr_user(studios["dist_a"])
    client.force_login(hr)
    html = client.get(reverse("org_studios")).content.decode()
    assert "张名师数学工作室" in html and "李名师语文工作室" not in html


def test_index_and_home_keep_a_fixed_query_budget(
    client, studios, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    index = studios["a"].get_parent()

    def count(url):
        client.get(url)  # warm up first: one-off per-process queries
        with CaptureQueriesContext(connection) as q:
            assert client.get(url).status_code == 200
        return len(q.captured_queries)

    index_before, home_before = count(index.url), count(studios["a"].url)
    for n in range(6):
        leader = TeacherFactory(school=studios["school_a1"])
        services.studio_create(
            title=f"工作室{n}",
            kind="名师",
            leader=leader.user,
            region=studios["dist_a"],
        )
        member(studios["a"], role="follower")
        Activity.objects.create(
            studio=studios["a"],
            title=f"活动{n}",
            kind="听评课",
            starts_at=timezone.now(),
            ends_at=timezone.now() + datetime.timedelta(hours=1),
            place="教室",
        )
    assert count(index.url) <= index_before
    assert count(studios["a"].url) <= home_before


def test_upload_size_limit_is_explained():
    from django.core.exceptions import ValidationError

    from cms.shared.uploads import artefact_validate

    big = SimpleUploadedFile("资料.pdf", b"%PDF-1.4\n")
    big.size = 21 * 1024 * 1024
    with pytest.raises(ValidationError, match="文件过大"):
        artefact_validate(big)


def test_hr_overview_figures_and_a_fixed_query_budget(client, studios):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    studio = studios["a"]
    member(studio, role="follower")
    now = timezone.now()
    activity = Activity.objects.create(
        studio=studio,
        title="听评课",
        kind="听评课",
        starts_at=now,
        ends_at=now + datetime.timedelta(hours=1),
        place="教室",
    )
    services.check_in(activity=activity, teacher=TeacherFactory(), code=activity.code)
    hr = hr_user(studios["city"])
    client.force_login(hr)
    client.get(reverse("org_studios"))  # warm up first: one-off per-process queries
    with CaptureQueriesContext(connection) as before:
        response = client.get(reverse("org_studios"))
    rows = {r["studio"].pk: r for r in response.context["rows"]}
    assert rows[studio.pk]["members_trained"] == 2  # leader and follower
    assert rows[studio.pk]["teachers_reached"] == 1
    assert rows[studio.pk]["activities_per_term"]
    assert studios["b"].pk in rows  # the city covers both districts
    for n in range(8):
        leader = TeacherFactory(school=studios["school_b1"])
        services.studio_create(
            title=f"新工作室{n}",
            kind="名师",
            leader=leader.user,
            region=studios["dist_b"],
        )
    with CaptureQueriesContext(connection) as after:
        client.get(reverse("org_studios"))
    assert len(after.captured_queries) <= len(before.captured_queries)


def test_garbage_and_crafted_posts_are_refused_cleanly(client, studios):
    studio = studios["a"]
    applicant = TeacherFactory()
    membership = services.membership_apply(studio=studio, teacher=applicant)
    client.force_login(studios["leader_a"].user)
    bad = client.post(
        reverse("studio_members", args=[studio.pk]),
        {"membership": "abc", "action": "approve"},
    )
    assert bad.status_code == 404
    # A leader cannot make someone else a leader by editing the form.
    client.post(
        reverse("studio_members", args=[studio.pk]),
        {"membership": membership.pk, "action": "approve", "role": "leader"},
    )
    membership.refresh_from_db()
    assert membership.status == "active" and membership.role == "follower"
    # The leader is listed first on the studio page.
    html = client.get(studio.url).content.decode()
    members_part = html.split("成员</h2>")[1]
    assert members_part.index("张名师") < members_part.index(applicant.real_name)
    now = timezone.now()
    activity = Activity.objects.create(
        studio=studio,
        title="讲座",
        kind="专题讲座",
        starts_at=now,
        ends_at=now + datetime.timedelta(hours=1),
        place="礼堂",
        needs_reflection=True,
    )
    bad = client.post(
        reverse("studio_activity", args=[activity.pk]),
        {"action": "assess", "registration": "x", "result": "pass"},
    )
    assert bad.status_code == 404
