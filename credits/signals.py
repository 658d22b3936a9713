"""Sent once a credit record has committed. `credits` knows nothing of who
listens: `badges` connects a receiver that issues the credential."""

from django.dispatch import Signal

# sender=CreditRecord, record_id=int, reverses_id=int | None (set for a reversal)
credit_recorded = Signal()


def record_sender():
    """The sender of `credit_recorded` (the ledger's record model), for
    receivers that connect and disconnect by sender without importing the
    ledger's models. Call it once the apps are loaded."""
    from .models import CreditRecord

    return CreditRecord
