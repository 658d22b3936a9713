"""Sent once a credit record has committed. `credits` knows nothing of who
listens: `badges` connects a receiver that issues the credential."""

from django.dispatch import Signal

# sender=CreditRecord, record_id=int, reverses_id=int | None (set for a reversal)
credit_recorded = Signal()
