from celery import shared_task


@shared_task(name="cms.jobs_sweep")
def jobs_sweep_task() -> dict:
    """Re-queue (or fail) background jobs whose worker died (celery beat)."""
    from .jobs import jobs_sweep

    return jobs_sweep()
