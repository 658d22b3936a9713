"""Sent after credentials commit; `badges` knows nothing of who listens (the
API's webhooks do)."""

from django.dispatch import Signal

# sender=IssuedCredential, credential_ids=list[int]
credential_issued = Signal()
# sender=IssuedCredential, credential_id=int
credential_revoked = Signal()
