from celery import shared_task

from .services import campaign_run


@shared_task(
    acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5
)
def campaign_run_task(campaign_id: int) -> None:
    campaign_run(campaign_id=campaign_id)
