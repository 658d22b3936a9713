from celery import shared_task

from .compute import portraits_run


@shared_task(name="portfolios.recompute")
def portraits_recompute_task(run_id: int | None = None) -> int:
    """Recompute every portrait (nightly, from celery beat; queued again with
    its run id by the job sweeper when its worker died)."""
    return portraits_run(run_id)
