"""Reads of issued credentials for other apps (the API, the exchange)."""

from __future__ import annotations

import functools

from django.db import connections, router
from django.db.models import Count, QuerySet

from cms.shared.rows import RowShape

from .models import Endorsement, IssuedCredential, Issuer


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


@functools.cache
def _credential_statement() -> tuple[str, RowShape]:
    """SELECT a credential joined to its issuer by uid, written once from the
    models' metadata (what `select_related("issuer").get(uid=...)` runs,
    without compiling it per request)."""
    from django.db import connection

    q = connection.ops.quote_name
    shape = RowShape.of((IssuedCredential, "c"), (Issuer, "i"))
    sql = (
        f"SELECT {shape.columns()} FROM {q(IssuedCredential._meta.db_table)} c "  # noqa: S608 (names from model metadata)
        f"JOIN {q(Issuer._meta.db_table)} i "
        f"ON i.{q(Issuer._meta.pk.column)} = c.{q(IssuedCredential._meta.get_field('issuer').column)} "
        f"WHERE c.{q(IssuedCredential._meta.get_field('uid').column)} = %s"
    )
    return sql, shape


def credential_with_issuer(uid) -> IssuedCredential | None:
    """The credential with this uid and its issuer (read with it), or None.
    On PostgreSQL one statement written once per process; elsewhere the ORM's
    select_related."""
    alias = router.db_for_read(IssuedCredential)
    db = connections[alias]
    if db.vendor != "postgresql":
        return IssuedCredential.objects.select_related("issuer").filter(uid=uid).first()
    sql, shape = _credential_statement()
    with db.cursor() as cursor:
        cursor.execute(sql, [str(uid)])
        row = cursor.fetchone()
    if row is None:
        return None
    credential, issuer = shape.instances(row, alias, db)
    IssuedCredential.issuer.field.set_cached_value(credential, issuer)
    return credential
