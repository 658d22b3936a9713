"""Reads of issued credentials for other apps (the API, the exchange)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

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


def credentials_of(*, teacher) -> QuerySet[IssuedCredential]:
    """Her credentials (badges and CLRs, revoked ones too)."""
    return IssuedCredential.objects.filter(teacher=teacher)


def badge_counts_for(*, teacher_ids) -> dict[int, int]:
    """{teacher id: number of her badges not revoked}, for the given teachers."""
    return dict(
        IssuedCredential.objects.filter(
            teacher_id__in=teacher_ids, kind="badge", revoked_at__isnull=True
        )
        .values("teacher_id")
        .annotate(n=Count("id"))
        .values_list("teacher_id", "n")
    )
