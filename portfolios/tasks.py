from celery import shared_task

from .compute import portraits_recompute


@shared_task(name="portfolios.recompute")
def portraits_recompute_task() -> int:
    """Recompute every portrait (nightly, from celery beat)."""
    return portraits_recompute()
