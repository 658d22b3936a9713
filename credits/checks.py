"""Deploy check: the site must not connect as a PostgreSQL superuser or as the
owner of the credit ledger, and must not be able to rewrite the ledger. Either
could switch the append-only trigger off (`session_replication_role`,
`ALTER TABLE ... DISABLE TRIGGER`); see cms/dbroles.py and `manage.py db_roles`.

The check needs the database; when it cannot be reached (a build step without
one), it says nothing rather than fail the deploy checks."""

import logging

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError, connection

log = logging.getLogger(__name__)


@register(Tags.security, deploy=True)
def ledger_role_restricted(app_configs, **kwargs):
    if connection.vendor != "postgresql":
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, r.rolsuper, "
                "(SELECT pg_get_userbyid(c.relowner) FROM pg_class c "
                " WHERE c.oid = to_regclass('credits_creditrecord')), "
                "CASE WHEN to_regclass('credits_creditrecord') IS NULL THEN false ELSE "
                " has_table_privilege('credits_creditrecord', 'UPDATE, DELETE, TRUNCATE') "
                "END "
                "FROM pg_roles r WHERE r.rolname = current_user"
            )
            row = cursor.fetchone()
    except DatabaseError as exc:
        log.info("ledger role check skipped: database unreachable (%s)", exc)
        return []
    if row is None:
        return []
    user, superuser, owner, can_rewrite = row
    hint = (
        "Connect the site and workers as the app role made by `manage.py db_roles` "
        "(run migrate as the owner role); see README, Reliability and recovery."
    )
    if superuser:
        return [
            Warning(
                f"The site connects to PostgreSQL as the superuser {user!r}: it could "
                "switch the ledger's append-only trigger off.",
                hint=hint,
                id="credits.W001",
            )
        ]
    if owner == user:
        return [
            Warning(
                f"The site connects to PostgreSQL as {user!r}, the owner of the "
                "credit ledger: it could disable the ledger's triggers.",
                hint=hint,
                id="credits.W002",
            )
        ]
    if can_rewrite:
        return [
            Warning(
                f"The role {user!r} may UPDATE, DELETE or TRUNCATE the credit ledger.",
                hint=hint,
                id="credits.W003",
            )
        ]
    return []
