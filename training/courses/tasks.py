from celery import shared_task

from .services import campaign_run, course_completions_recheck


@shared_task(
    acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5
)
def campaign_run_task(campaign_id: int) -> None:
    campaign_run(campaign_id=campaign_id)


@shared_task(
    acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5
)
def course_completions_recheck_task(course_id: int) -> int:
    return course_completions_recheck(course_id=course_id)
