from celery import shared_task

from . import services


@shared_task(
    name="badges.issue_credentials",
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
)
def credentials_issue_task(record_ids: list[int]) -> int:
    """Sign the credentials of these ledger records (skipping any already made)."""
    return services.credentials_issue(record_ids)


@shared_task(name="badges.revoke_for_reversal")
def revoke_for_reversal_task(reversal_id: int) -> None:
    services.revoke_for_reversal(reversal_id)
