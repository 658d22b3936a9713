"""The session store: Django's database sessions, read with one plain
statement (issue 16).

Every signed-in request reads its session first. Django's store builds an
ORM query for it each time (a filter on the key and the expiry, compiled
anew), which cost about as much CPU as the rest of a kept page's own work;
here the same statement is written once. The table, the stored format, the
expiry check and every write are Django's, so sessions move between the two
stores unchanged."""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        key = self.session_key  # None unless it is a well-formed key
        if key is None:
            return None
        model = self.model
        connection = connections[router.db_for_read(model)]
        q = connection.ops.quote_name
        sql = (
            f"SELECT {q('session_data')} FROM {q(model._meta.db_table)} "  # noqa: S608
            f"WHERE {q('session_key')} = %s AND {q('expire_date')} > %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=key, session_data=row[0])
