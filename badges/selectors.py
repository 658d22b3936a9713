"""Reads of issued credentials for other apps (the API, the exchange)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from .models import Endorsement, IssuedCredential


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


def live_endorsements(*, credential_ids) -> dict[int, list[Endorsement]]:
    """The endorsements in force (not withdrawn) of each credential, newest
    first, with the endorsing studio's issuer."""
    out: dict[int, list[Endorsement]] = {}
    for endorsement in (
        Endorsement.objects.filter(
            credential_id__in=list(credential_ids), revoked_at__isnull=True
        )
        .select_related("issuer")
        .order_by("-issued_at", "-id")
    ):
        out.setdefault(endorsement.credential_id, []).append(endorsement)
    return out


def endorsements_in_force(credential: IssuedCredential) -> list[Endorsement]:
    """`live_endorsements` of one credential (its share link), kept
    (cms/shared/pagecache.py `cached`) while neither the version of its
    holder's rows ("teacher:<pk>": every endorsement of her credentials,
    given, withdrawn or deleted, bumps it) nor "content" (the issuers'
    names) changed."""
    from cms.shared import pagecache

    return pagecache.cached(
        f"credential-endorsements:{credential.pk}",
        [pagecache.CONTENT, pagecache.teacher_dependency(credential.teacher_id)],
        lambda: live_endorsements(credential_ids=[credential.pk]).get(
            credential.pk, []
        ),
    )


def endorsements_of_teacher(*, teacher, limit: int = 30) -> list[Endorsement]:
    """The endorsements in force of her credentials (for the portrait),
    newest first, with the credential and the studio's issuer."""
    return list(
        Endorsement.objects.filter(
            credential__teacher=teacher,
            credential__revoked_at__isnull=True,
            revoked_at__isnull=True,
        )
        .select_related("issuer", "credential")
        .order_by("-issued_at", "-id")[:limit]
    )


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
