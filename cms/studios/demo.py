"""Demo studios: one 名师 and one 名校长 studio with members, published work
and activities, so the studio pages and the credit hand-off can be tried."""

import datetime

from django.utils import timezone

from cms.accounts.models import Organisation, Role, RoleAssignment, TeacherProfile

from . import services
from .models import (
    Activity,
    Membership,
    Registration,
    StudioArticlePage,
    StudioPage,
)


def _publish(studio, page, user):
    services.submit_for_review(studio=studio, user=user, page=page)
    state = page.workflow_states.get().current_task_state
    state.task.specific.on_action(state, None, "approve")


def seed_studios() -> str:
    existing = StudioPage.objects.order_by("pk").first()
    if existing is not None:
        added = _activities_to_try(existing)
        if added:
            return f"工作室已存在；新增可当场体验的活动 {added} 个。"
        return "工作室已存在，未做改动。"
    leader_role = (
        RoleAssignment.objects.filter(role=Role.STUDIO_LEADER)
        .select_related("user")
        .first()
    )
    if leader_role is None:
        return "没有工作室主持人，未创建工作室。"
    leader = leader_role.user
    district = Organisation.objects.filter(kind="district").order_by("path").first()
    studio = services.studio_create(
        title="数据驱动精准教学名师工作室",
        kind="名师",
        leader=leader,
        region=district,
        subject="数学",
        research_direction="利用学业数据分析改进课堂教学与作业设计",
        intro="<p>工作室聚焦数字技术支持下的精准教学，开展集体备课、听评课与公开课。</p>",
    )
    teachers = list(
        TeacherProfile.objects.filter(school__path__startswith=district.path)
        .exclude(user=leader)
        .order_by("staff_number")[:12]
    )
    for n, teacher in enumerate(teachers):
        Membership.objects.create(
            studio=studio,
            teacher=teacher,
            role=Membership.Role.BACKBONE if n < 3 else Membership.Role.FOLLOWER,
            status=Membership.Status.ACTIVE,
            starts_on=timezone.localdate(),
        )
    writer = teachers[0].user
    for title, kind, body in [
        (
            "用学业数据诊断单元学习难点",
            "研修文章",
            "<p>以函数单元为例，说明如何从作业数据中找到共性错误。</p>",
        ),
        (
            "“一次函数”课例：数据看板支持的分层教学",
            "课例",
            "<p>课前诊断、课中分层、课后个性化作业的完整课例。</p>",
        ),
    ]:
        page = StudioArticlePage(title=title, kind=kind, body=body)
        _publish(studio, page, writer)
    now = timezone.now()
    coming = Activity.objects.create(
        studio=studio,
        title="函数单元集体备课",
        kind="集体备课",
        starts_at=now + datetime.timedelta(days=3),
        ends_at=now + datetime.timedelta(days=3, hours=2),
        place="东湖区教师发展中心 305 室",
        capacity=30,
        hours=3,
    )
    online = Activity.objects.create(
        studio=studio,
        title="数据支持的分层作业公开课",
        kind="公开课",
        online=True,
        starts_at=now + datetime.timedelta(days=10),
        ends_at=now + datetime.timedelta(days=10, hours=1),
        link="https://example.cn/live/123",
        capacity=200,
        hours=2,
        needs_reflection=True,
    )
    coming.indicators.set(_indicators(["3.3.2", "5.2.1"]))
    online.indicators.set(_indicators(["3.2.3", "3.3.3"]))
    _activities_to_try(studio)
    return "工作室新增 1 个（含成员、文章与活动，8 人已签到）。"


def _indicators(codes):
    from training.framework import FRAMEWORK_CODE
    from training.selectors import competencies

    return competencies(framework_code=FRAMEWORK_CODE, codes=codes)


def _activities_to_try(studio) -> int:
    """What lets a newcomer try check-in today: an activity happening now
    (the demo teacher registered; its code is on the leader's activity page)
    and one from last month with its attendance. Added once."""
    now = timezone.now()
    added = 0
    teacher = TeacherProfile.objects.filter(staff_number="DH01001").first()
    if not Activity.objects.filter(
        studio=studio, title="听评课：数据看板进课堂"
    ).exists():
        today = Activity.objects.create(
            studio=studio,
            title="听评课：数据看板进课堂",
            kind="听评课",
            starts_at=now - datetime.timedelta(minutes=30),
            ends_at=now + datetime.timedelta(hours=3),
            place="东湖区实验小学 录播教室",
            capacity=40,
            hours=2,
        )
        today.indicators.set(_indicators(["3.3.3", "5.1.2"]))
        if teacher is not None:
            Registration.objects.get_or_create(activity=today, teacher=teacher)
        # Members already in the room have checked in with its code (the same
        # service as at the door): their attendance is credited. The demo
        # teacher is left to try it herself.
        present = (
            TeacherProfile.objects.filter(
                studio_memberships__studio=studio,
                studio_memberships__status=Membership.Status.ACTIVE,
            )
            .exclude(staff_number="DH01001")
            .order_by("staff_number")[:8]
        )
        for member in present:
            services.check_in(activity=today, teacher=member, code=today.code)
        added += 1
    if not Activity.objects.filter(
        studio=studio, title="上月集体备课：作业分层设计"
    ).exists():
        past = Activity.objects.create(
            studio=studio,
            title="上月集体备课：作业分层设计",
            kind="集体备课",
            starts_at=now - datetime.timedelta(days=30),
            ends_at=now - datetime.timedelta(days=30, hours=-2),
            place="东湖区教师发展中心 305 室",
            capacity=30,
            hours=2,
        )
        past.indicators.set(_indicators(["3.1.3", "5.2.1"]))
        members = TeacherProfile.objects.filter(
            studio_memberships__studio=studio,
            studio_memberships__status=Membership.Status.ACTIVE,
        ).order_by("staff_number")[:6]
        for member in members:
            Registration.objects.get_or_create(
                activity=past,
                teacher=member,
                defaults={
                    "checked_in_at": past.starts_at + datetime.timedelta(minutes=5)
                },
            )
        added += 1
    return added
