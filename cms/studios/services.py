"""What people do with studios: join, publish through review, run activities,
check in, and get credited (once per teacher and activity)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.models import Site, Workflow, WorkflowPage, WorkflowTask

from cms.accounts.services import notify
from cms.shared import attendance, pagecache
from cms.shared.errors import ApplicationError

from .models import (
    Activity,
    Membership,
    Registration,
    StudioIndexPage,
    StudioPage,
    StudioResourcePage,
    StudioReviewTask,
)

WORKFLOW_NAME = "工作室发布审核"


# The refusal services raise; the one application error under its old name.
NotAllowed = ApplicationError


def ensure_index() -> StudioIndexPage:
    """The studios index under the home page, with the review workflow on it."""
    index = StudioIndexPage.objects.first()
    if index is None:
        home = Site.objects.get(is_default_site=True).root_page
        index = home.add_child(
            instance=StudioIndexPage(
                title="双名工作室",
                slug="studios",
                intro="名师、名校长工作室的研修成果与活动。",
            )
        )
    workflow = Workflow.objects.filter(name=WORKFLOW_NAME).first()
    if workflow is None:
        workflow = Workflow.objects.create(name=WORKFLOW_NAME, active=True)
        task = StudioReviewTask.objects.create(name="工作室审核", active=True)
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.get_or_create(page=index, defaults={"workflow": workflow})
    return index


def studio_create(
    *, title, kind, leader, region, subject="", research_direction="", intro=""
):
    index = ensure_index()
    studio = index.add_child(
        instance=StudioPage(
            title=title,
            slug=slugify(f"studio-{StudioPage.objects.count() + 1}") or "studio",
            kind=kind,
            leader=leader,
            region=region,
            subject=subject,
            research_direction=research_direction,
            intro=intro,
            owner=leader,
        )
    )
    # The leader's membership is made by signals.leader_membership.
    return studio


# --- members -------------------------------------------------------------------


def is_leader(user, studio) -> bool:
    return getattr(user, "is_authenticated", False) and studio.leader_id == user.pk


def is_editor(user, studio) -> bool:
    """Leader and current backbone members write for the studio."""
    if not getattr(user, "is_authenticated", False):
        return False
    if studio.leader_id == user.pk:
        return True
    return Membership.objects.filter(
        studio=studio,
        teacher__user=user,
        role__in=[Membership.Role.LEADER, Membership.Role.BACKBONE],
        status=Membership.Status.ACTIVE,
    ).exists()


def membership_apply(*, studio, teacher, message: str = "") -> Membership:
    if studio.leader_id == teacher.user_id:
        raise NotAllowed(_("您是这个工作室的主持人。"))
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                studio=studio, teacher=teacher, message=message[:300]
            )
    except IntegrityError:
        raise NotAllowed(_("您已经申请过或已是这个工作室的成员。")) from None
    notify(
        user=studio.leader,
        title=_("%(name)s 申请加入%(studio)s")
        % {"name": teacher.real_name, "studio": studio.title},
        url=f"/studios/{studio.pk}/members/",
    )
    return membership


def membership_decide(
    *, membership, by, approve: bool, reply: str = "", role=None, ends_on=None
):
    if not is_leader(by, membership.studio):
        raise NotAllowed(_("只有主持人可以审核成员申请。"))
    if membership.status != Membership.Status.APPLIED:
        return membership
    membership.status = (
        Membership.Status.ACTIVE if approve else Membership.Status.DECLINED
    )
    membership.reply = reply[:300]
    membership.decided_at = timezone.now()
    if approve:
        membership.role = role or Membership.Role.FOLLOWER
        membership.starts_on = timezone.localdate()
        membership.ends_on = ends_on
    membership.save()
    notify(
        user=membership.teacher.user,
        title=(_("您已加入%(studio)s") if approve else _("%(studio)s 未通过您的申请"))
        % {"studio": membership.studio.title},
        body=reply,
        url=membership.studio.url or "",
    )
    return membership


def membership_end(*, membership, by):
    if not is_leader(by, membership.studio):
        raise NotAllowed(_("只有主持人可以办理成员结业。"))
    membership.status = Membership.Status.ENDED
    membership.ends_on = timezone.localdate()
    membership.save(update_fields=["status", "ends_on"])
    return membership


# --- publishing ------------------------------------------------------------------


def submit_for_review(*, studio, user, page):
    """Add ``page`` (unsaved) under the studio as a draft and start the review."""
    if not is_editor(user, studio):
        raise NotAllowed(_("只有主持人和骨干成员可以发布内容。"))
    ensure_index()
    page.live = False
    page.owner = user
    if not page.slug:
        base = slugify(page.title, allow_unicode=True)[:60] or "post"
        slug, n = base, 1
        taken = set(studio.get_children().values_list("slug", flat=True))
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        page.slug = slug
    studio.add_child(instance=page)
    revision = page.save_revision(user=user)
    workflow = page.get_workflow()
    workflow.start(page, user)
    return page, revision


def reviewable_for(user) -> list[tuple]:
    """(task state, page, studio) waiting for this user's review."""
    task = StudioReviewTask.objects.first()
    return task.reviewable_for(user) if task is not None else []


def review_decide(*, task_state, user, approve: bool, comment: str = ""):
    task = task_state.task.specific
    page = task_state.workflow_state.content_object
    if not task.user_can_review(page, user):
        raise NotAllowed(_("您不能审核这篇稿件。"))
    if not approve and not comment.strip():
        raise NotAllowed(_("退回时请写明修改意见。"))
    task.on_action(
        task_state, user, "approve" if approve else "reject", comment=comment
    )
    notify(
        user=page.owner,
        title=(
            _("“%(title)s”已通过审核并发布") if approve else _("“%(title)s”被退回修改")
        )
        % {"title": page.title},
        body=comment,
    )


# --- activities ------------------------------------------------------------------


def activity_register(*, activity, teacher) -> Registration:
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        existing = Registration.objects.filter(activity=locked, teacher=teacher).first()
        if existing is not None:
            return existing
        if locked.registrations.count() >= locked.capacity:
            raise NotAllowed(_("名额已满。"))
        if timezone.now() > locked.ends_at:
            raise NotAllowed(_("活动已经结束。"))
        return Registration.objects.create(activity=locked, teacher=teacher)


def check_in(*, activity, teacher, code: str) -> Registration:
    """Check in with the code the leader shows, in the hour before the activity
    up to two hours after it ends; wrong guesses are locked out like a course
    session's (see `cms.shared.attendance`). Attendance is credited once."""
    now = timezone.now()
    attendance.code_verify(
        event=f"studio-activity:{activity.pk}",
        person_id=teacher.pk,
        expected=activity.code,
        given=code,
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        now=now,
    )
    registration = Registration.objects.filter(
        activity=activity, teacher=teacher
    ).first() or activity_register(activity=activity, teacher=teacher)
    if registration.checked_in_at is None:
        registration.checked_in_at = now
        registration.save(update_fields=["checked_in_at"])
    credit_if_due(registration)
    return registration


def reflection_submit(*, registration, text: str):
    registration.reflection = text.strip()[:5000]
    registration.save(update_fields=["reflection"])


def reflection_assess(*, registration, by, passed: bool):
    if not is_leader(by, registration.activity.studio):
        raise NotAllowed(_("只有主持人可以评定研修反思。"))
    registration.assessment = "pass" if passed else "fail"
    registration.save(update_fields=["assessment"])
    credit_if_due(registration)


def credit_if_due(registration) -> bool:
    """Attendance (and, when asked for, a reflection assessed as passing)
    becomes one ledger record; the idempotency key makes retries harmless."""
    from credits.data import (
        CreditCategory,
        LearningKind,
        SourceKind,
        studio_attendance_key,
    )
    from credits.services import credit_record_append

    activity = registration.activity
    if registration.checked_in_at is None:
        return False
    if activity.needs_reflection and registration.assessment != "pass":
        return False
    credit_record_append(
        teacher=registration.teacher,
        kind=LearningKind.STUDIO_ACTIVITY,
        category=CreditCategory.SUBJECT
        if activity.studio.subject
        else CreditCategory.GENERAL,
        source_type=SourceKind.STUDIO_ACTIVITY,
        source_id=str(activity.pk),
        source_title=f"{activity.studio.title}：{activity.title}",
        hours=activity.hours,
        earned_on=timezone.localdate(activity.starts_at),
        idempotency_key=studio_attendance_key(
            activity_id=activity.pk, teacher_id=registration.teacher_id
        ),
    )
    if not registration.credited:
        Registration.objects.filter(pk=registration.pk).update(credited=True)
        registration.credited = True
    return True


def resource_download_count(page: StudioResourcePage) -> None:
    """Count one download of a live resource (in the database, so two at once
    both count)."""
    StudioResourcePage.objects.filter(pk=page.pk).update(downloads=F("downloads") + 1)
    # Her portrait counts the downloads of what she published.
    pagecache.user_changed(page.owner_id)
