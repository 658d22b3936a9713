"""Reads of issued credentials for other apps (the API, the exchange)."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import IssuedCredential


def credentials_for_teachers(*, teachers) -> QuerySet[IssuedCredential]:
    """Credentials of the given teachers (a scoped queryset)."""
    return IssuedCredential.objects.filter(teacher__in=teachers)


def credential_ids_for_records(record_ids) -> dict[int, str]:
    """The credential id (urn:uuid) of each ledger record that has one."""
    return {
        record_id: f"urn:uuid:{uid}"
        for record_id, uid in IssuedCredential.objects.filter(
            record_id__in=list(record_ids)
        ).values_list("record_id", "uid")
    }
