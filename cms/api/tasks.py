from celery import shared_task

from .models import WebhookDelivery


@shared_task(name="api.webhook_fanout", acks_late=True)
def webhook_fanout_task(event: str, ids: list[int]) -> int:
    from .webhooks import webhook_fanout

    delivery_ids = webhook_fanout(event=event, ids=ids)
    for delivery_id in delivery_ids:
        webhook_deliver_task.delay(delivery_id)
    return len(delivery_ids)


@shared_task(name="api.webhook_deliver", bind=True, acks_late=True, max_retries=None)
def webhook_deliver_task(self, delivery_id: int) -> str:
    """Send one delivery; on failure retry later with exponential backoff
    (the attempt count and the cap live on the delivery row)."""
    from .webhooks import backoff_seconds, webhook_attempt

    delivery = webhook_attempt(delivery_id=delivery_id)
    if delivery.status == WebhookDelivery.Status.PENDING and not self.request.is_eager:
        raise self.retry(countdown=backoff_seconds(delivery.attempts))
    # Run in-process (the embedded default), a failed try is left to the
    # sweeper instead of being retried at once inside someone's request.
    return delivery.status


@shared_task(name="api.webhook_sweep")
def webhook_sweep_task() -> int:
    """Re-send pending deliveries whose backoff has passed (a task lost with
    a worker, or a try made in-process)."""
    from .webhooks import deliveries_due

    due = deliveries_due()
    for delivery_id in due:
        webhook_deliver_task.delay(delivery_id)
    return len(due)


@shared_task(name="api.exchange_export", acks_late=True)
def exchange_export_task(period: str | None = None) -> int:
    """The provincial exchange for a month (default: the month just ended)."""
    from .exchange import exchange_run

    return len(exchange_run(period=period))
