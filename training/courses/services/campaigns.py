"""Campaigns: an organisation enrols all its teachers in a set of courses."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.accounts.models import TeacherProfile
from cms.shared import pagecache
from cms.shared.errors import ApplicationError as NotAllowed

from ..models import (
    CAMPAIGN_STALE_AFTER,
    Campaign,
    Enrolment,
)

log = logging.getLogger(__name__)

CAMPAIGN_BATCH = 1000


def campaign_create(*, by, title: str, organisation, courses) -> Campaign:
    from cms.accounts.scoping import organisations_visible_to

    if not organisations_visible_to(by).filter(pk=organisation.pk).exists():
        raise NotAllowed(_("只能为本单位及下属单位发起研修项目。"))
    courses = list(courses)
    if not courses:
        raise NotAllowed(_("请至少选择一门课程。"))
    with transaction.atomic():
        campaign = Campaign.objects.create(
            title=title.strip()[:120], organisation=organisation, created_by=by
        )
        campaign.courses.set(courses)
        from cms.shared import jobs

        jobs.job_send(jobs.CAMPAIGN, campaign.pk)
    campaign.refresh_from_db()
    return campaign


def campaign_run(*, campaign_id: int) -> Campaign:
    """Enrol every teacher under the organisation in every course of the
    campaign, in batches, counting progress as it goes. Safe to run again
    (or twice at once): an existing enrolment is left as it is, so nobody is
    enrolled twice. Campaigns place teachers regardless of windows and
    capacity: the organisation decided."""
    claimable = Q(status__in=[Campaign.Status.QUEUED, Campaign.Status.FAILED]) | Q(
        status=Campaign.Status.RUNNING,
        heartbeat_at__lt=timezone.now() - CAMPAIGN_STALE_AFTER,
    )
    claimed = Campaign.objects.filter(claimable, pk=campaign_id).update(
        status=Campaign.Status.RUNNING,
        processed=0,
        error="",
        heartbeat_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    campaign = Campaign.objects.get(pk=campaign_id)
    if not claimed:  # done already, or another worker is on it
        return campaign
    teachers = TeacherProfile.objects.filter(
        school__path__startswith=campaign.organisation.path
    ).order_by("pk")
    course_ids = list(campaign.courses.values_list("pk", flat=True))
    total = teachers.count()
    Campaign.objects.filter(pk=campaign.pk).update(total=total)
    last_pk = 0
    try:
        while True:
            batch = list(
                teachers.filter(pk__gt=last_pk).values_list("pk", flat=True)[
                    :CAMPAIGN_BATCH
                ]
            )
            if not batch:
                break
            last_pk = batch[-1]
            with transaction.atomic():
                before = Enrolment.objects.filter(
                    teacher_id__in=batch, course_id__in=course_ids
                ).count()
                Enrolment.objects.bulk_create(
                    [
                        Enrolment(course_id=c, teacher_id=t, campaign=campaign)
                        for t in batch
                        for c in course_ids
                    ],
                    ignore_conflicts=True,
                )
                after = Enrolment.objects.filter(
                    teacher_id__in=batch, course_id__in=course_ids
                ).count()
                for course_id in course_ids:  # bulk_create sends no signal
                    transaction.on_commit(
                        lambda c=course_id: pagecache.course_changed(c)
                    )
                Campaign.objects.filter(pk=campaign.pk).update(
                    processed=F("processed") + len(batch),
                    enrolled=F("enrolled") + (after - before),
                    heartbeat_at=timezone.now(),
                )
    except Exception:
        log.exception("campaign %s failed", campaign_id)
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.FAILED,
            error=_("报名中断，可重新运行，已报名的不会重复。"),
        )
        raise
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.DONE, processed=total, finished_at=timezone.now()
    )
    campaign.refresh_from_db()
    return campaign


def campaign_restart(*, campaign: Campaign, by) -> Campaign:
    """Run a campaign again (after a failure, or to pick up teachers who
    joined the organisation since): existing enrolments are kept as they are."""
    from cms.accounts.scoping import organisations_visible_to

    if not organisations_visible_to(by).filter(pk=campaign.organisation_id).exists():
        raise NotAllowed(_("无权操作该研修项目。"))
    if campaign.status == Campaign.Status.QUEUED or (
        campaign.status == Campaign.Status.RUNNING and not campaign.stalled
    ):
        raise NotAllowed(_("该研修项目正在报名中，请等待完成。"))
    from cms.shared import jobs

    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.QUEUED,
            error="",
            attempts=0,
            heartbeat_at=timezone.now(),
        )
        jobs.job_send(jobs.CAMPAIGN, campaign.pk)
    campaign.refresh_from_db()
    return campaign
