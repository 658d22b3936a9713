from celery import shared_task


@shared_task(name="cms.jobs_sweep")
def jobs_sweep_task() -> dict:
    """Re-queue (or fail) background jobs whose worker died, and credentials
    whose message was lost (celery beat)."""
    from badges.services import credentials_requeue_lost

    from .shared.jobs import jobs_sweep, stale_before

    report = jobs_sweep()
    report["credentials"] = credentials_requeue_lost(older_than=stale_before())
    return report
