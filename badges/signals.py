"""Listen to the ledger: every committed record gets its credential."""

from django.dispatch import receiver

from credits.models import CreditRecord
from credits.signals import credit_recorded


@receiver(credit_recorded, sender=CreditRecord, dispatch_uid="badges_issue_on_record")
def issue_on_record(sender, record_id: int, reverses_id=None, **kwargs):
    from .tasks import credentials_issue_task, revoke_for_reversal_task

    if reverses_id is None:
        credentials_issue_task.delay([record_id])
    else:
        revoke_for_reversal_task.delay(record_id)
