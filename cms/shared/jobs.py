"""Long background jobs that survive a dead worker.

Exports (credits.ExportJob), campaigns (courses.Campaign) and teacher imports
(accounts.TeacherImport) share one life cycle: queued -> running -> done, or
failed with a reason. A worker claims a job with a conditional update (so two
deliveries of the same message never run it twice at once), counts the
attempt, and moves `heartbeat_at` on as it goes. Every step is idempotent (an
export reuses transcripts already issued, a campaign keeps existing
enrolments, an import applies in one transaction), so running a job again
doubles nothing.

Tasks are acknowledged late and delivered again when their worker dies
(CELERY_TASK_ACKS_LATE, CELERY_TASK_REJECT_ON_WORKER_LOST, the broker's
visibility timeout). Sooner than that, the sweeper (`jobs_sweep`, celery beat
every JOB_SWEEP_SECONDS) finds queued or running jobs whose heartbeat stopped
for JOB_STALE_SECONDS and queues them again, or after JOB_MAX_ATTEMPTS marks
them failed with the reason; the job's page then offers a retry button. An
import applies inside one transaction that holds its row lock, so it counts as
alive while that lock is held, however long it takes. The sweeper also queues
the credentials of ledger records that a lost message left unsigned.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.shared.reliability import BACKGROUND_UNAVAILABLE, enqueue

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass(frozen=True)
class JobKind:
    model_label: str
    task_path: str
    error_max: int
    # Alive while its row is locked (the work runs in one transaction).
    alive_while_locked: bool = False

    @property
    def model(self):
        return apps.get_model(self.model_label)

    @property
    def task(self):
        module, name = self.task_path.rsplit(".", 1)
        return getattr(__import__(module, fromlist=[name]), name)


EXPORT = JobKind("credits.ExportJob", "credits.tasks.export_build_task", 300)
CAMPAIGN = JobKind("courses.Campaign", "training.courses.tasks.campaign_run_task", 200)
IMPORT = JobKind(
    "accounts.TeacherImport",
    "cms.accounts.tasks.teacher_import_apply_task",
    300,
    alive_while_locked=True,
)
PORTRAITS = JobKind(
    "portfolios.PortraitRun", "portfolios.tasks.portraits_recompute_task", 300
)
KINDS = (EXPORT, CAMPAIGN, IMPORT, PORTRAITS)


def stale_before() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=settings.JOB_STALE_SECONDS)


def job_fail(kind: JobKind, pk: int, reason: str) -> None:
    kind.model.objects.filter(pk=pk).exclude(status=DONE).update(
        status=FAILED, error=str(reason)[: kind.error_max], heartbeat_at=None
    )


def job_send(kind: JobKind, pk: int) -> None:
    """Queue the job's task once the transaction commits; if the broker is
    down, the job is marked failed (with a retry button), never left queued."""
    enqueue(
        kind.task,
        pk,
        on_failure=lambda exc: job_fail(kind, pk, str(BACKGROUND_UNAVAILABLE)),
    )


def job_claim(kind: JobKind, pk: int) -> bool:
    """Take a queued job (or a running one whose worker died) for this worker."""
    claimable = Q(status=QUEUED) | Q(status=RUNNING, heartbeat_at__lt=stale_before())
    return bool(
        kind.model.objects.filter(claimable, pk=pk).update(
            status=RUNNING,
            attempts=F("attempts") + 1,
            heartbeat_at=timezone.now(),
            error="",
        )
    )


def job_beat(kind: JobKind, pk: int, **fields) -> None:
    kind.model.objects.filter(pk=pk, status=RUNNING).update(
        heartbeat_at=timezone.now(), **fields
    )


def job_retry(kind: JobKind, job) -> bool:
    """The retry button: a failed job is queued again (once, however many
    clicks), with its attempts counted afresh."""
    with transaction.atomic():
        changed = kind.model.objects.filter(pk=job.pk, status=FAILED).update(
            status=QUEUED, error="", attempts=0, heartbeat_at=timezone.now()
        )
        if changed:
            job_send(kind, job.pk)
    return bool(changed)


def _sweep_kind(kind: JobKind) -> dict:
    model = kind.model
    before = stale_before()
    stalled = Q(status__in=[QUEUED, RUNNING]) & (
        Q(heartbeat_at__lt=before) | Q(heartbeat_at__isnull=True, created_at__lt=before)
    )
    requeued = failed = 0
    with transaction.atomic():
        rows = model.objects.filter(stalled).order_by("pk")
        if kind.alive_while_locked:
            # A row locked by a worker's open transaction is being worked on.
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        jobs = list(rows.values_list("pk", "attempts", "status")[:200])
        for pk, attempts, status in jobs:
            if status == RUNNING and attempts >= settings.JOB_MAX_ATTEMPTS:
                model.objects.filter(pk=pk).update(
                    status=FAILED,
                    heartbeat_at=None,
                    error=_("后台任务已中断 %(n)s 次，已停止自动重试；请点击“重试”。")
                    % {"n": attempts},
                )
                failed += 1
                log.warning(
                    "%s %s failed after %s attempts", kind.model_label, pk, attempts
                )
                continue
            model.objects.filter(pk=pk, status=status).update(
                status=QUEUED, heartbeat_at=timezone.now()
            )
            job_send(kind, pk)
            requeued += 1
            log.warning(
                "%s %s stalled (%s); queued again", kind.model_label, pk, status
            )
    return {"requeued": requeued, "failed": failed}


def jobs_sweep() -> dict:
    """Re-queue (or fail) every tracked kind of job whose worker died."""
    return {kind.model_label: _sweep_kind(kind) for kind in KINDS}
