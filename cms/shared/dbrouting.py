"""Reads from a PostgreSQL streaming replica where that is safe; everything
else on the primary.

With `DATABASE_REPLICA_URL` set, settings add a `replica` database alias and
this router. The rule is "primary unless a page is known to be safe":

- Only the heavy read pages named in `REPLICA_READ_URL_NAMES` (the HR lists,
  the 驾驶舱 and its exports, credit compliance and its exports) and the
  Wagtail page types in `REPLICA_READ_PAGE_TYPES` (the catalogue) read from the
  replica, and only for GET/HEAD.
- A request that writes (any `db_for_write`) reads the primary from then on.
- A browser whose request wrote (or that sent a POST, PUT, PATCH or DELETE)
  gets a short-lived cookie (`REPLICA_PIN_COOKIE`, `REPLICA_PIN_SECONDS`):
  while it lasts, all its reads go to the primary, whichever node serves them.
  So the teacher who has just enrolled, submitted or completed sees her own
  enrolment, her credit and her credential, even if the replica lags.
- The credit ledger (`REPLICA_NEVER_MODELS`: records, the head, transcripts)
  and sessions are read only on the primary: the router never sends them to
  the replica, even from a replica page.
- Celery tasks, management commands and anything outside a request use the
  primary (nothing turns the replica on there).
- Migrations run on the primary only; the replica is a physical copy.

Responses of a site with a replica carry `X-Read-From: primary|replica`.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

PRIMARY = "default"
REPLICA = "replica"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass
class _Reads:
    replica: bool = False  # this request may read the replica
    wrote: bool = False  # this request asked for the primary to write


_state: contextvars.ContextVar[_Reads | None] = contextvars.ContextVar(
    "tdl_db_reads", default=None
)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def _never_on_replica() -> frozenset[str]:
    return frozenset(
        label.lower() for label in getattr(settings, "REPLICA_NEVER_MODELS", ())
    )


class ReplicaRouter:
    """Django database router (settings.DATABASE_ROUTERS)."""

    def db_for_read(self, model, **hints):
        state = _state.get()
        if (
            state is None
            or not state.replica
            or state.wrote
            or not replica_configured()
            or model._meta.label_lower in _never_on_replica()
        ):
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        state = _state.get()
        if state is not None:
            state.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of the primary: the same rows.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


# --- per request -------------------------------------------------------------


def request_begin(request) -> contextvars.Token:
    return _state.set(_Reads())


def request_end(token: contextvars.Token) -> None:
    _state.reset(token)


def pinned(request) -> bool:
    return bool(request.COOKIES.get(settings.REPLICA_PIN_COOKIE))


def replica_reads_allow(request) -> bool:
    """Let the rest of this request read the replica, unless it is not a read,
    the browser is pinned to the primary, or the request has already written.
    Returns whether the replica is now in use."""
    state = _state.get()
    if (
        state is None
        or not replica_configured()
        or request.method not in SAFE_METHODS
        or pinned(request)
        or state.wrote
    ):
        return False
    state.replica = True
    return True


def reads_from() -> str:
    """ "replica" or "primary", for the X-Read-From header."""
    state = _state.get()
    if state is not None and state.replica and not state.wrote:
        return "replica"
    return "primary"


class ReplicaRoutingMiddleware:
    """Marks the heavy read pages for the replica and pins a browser that has
    just written to the primary for REPLICA_PIN_SECONDS."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.url_names = frozenset(getattr(settings, "REPLICA_READ_URL_NAMES", ()))

    def __call__(self, request):
        token = request_begin(request)
        try:
            response = self.get_response(request)
            state = _state.get()
            if replica_configured():
                response["X-Read-From"] = reads_from()
                if state.wrote or request.method not in SAFE_METHODS:
                    response.set_cookie(
                        settings.REPLICA_PIN_COOKIE,
                        "1",
                        max_age=settings.REPLICA_PIN_SECONDS,
                        httponly=True,
                        samesite="Lax",
                        secure=settings.SESSION_COOKIE_SECURE,
                    )
            return response
        finally:
            request_end(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and match.view_name in self.url_names:
            replica_reads_allow(request)
        return None


def page_reads_replica(page) -> bool:
    """For Wagtail's before_serve_page hook: the catalogue's listing reads the
    replica (the page itself was found on the primary)."""
    types = getattr(settings, "REPLICA_READ_PAGE_TYPES", ())
    return page._meta.label_lower in types
