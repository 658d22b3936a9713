from celery import shared_task

from .services import export_build


@shared_task(acks_late=True)
def export_build_task(job_id: int) -> None:
    export_build(job_id=job_id)


@shared_task
def compliance_reminders_task() -> int:
    from .services import compliance_reminders_send

    return compliance_reminders_send()


@shared_task(name="credits.ledger_checkpoint")
def ledger_checkpoint_task() -> str:
    """Write a signed checkpoint of the ledger head (celery beat)."""
    from .checkpoints import checkpoint_write

    path = checkpoint_write()
    return str(path or "")
