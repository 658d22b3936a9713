"""Keeping pages up through outages of the services behind them.

- `ResilientRedisCache`: the Redis cache, degrading to "no cache" (every read a
  miss, writes dropped) while Redis is unreachable, so pages read the database
  instead of failing. After a failure Redis is left alone for a few seconds,
  so an outage does not add a connect timeout to every cache call. Rate
  limits and locks kept in the cache fail open (an `add` reports success).
- `DatabaseUnavailableMiddleware` and `server_error`: while PostgreSQL is
  unreachable, answer 503 with Retry-After and a Chinese page, not a 500.
- `enqueue`: start background work after the transaction commits; when the
  broker is unreachable, run the caller's `on_failure` (mark the job failed
  with a clear reason) instead of leaving a job "queued" forever.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.db import InterfaceError, OperationalError, transaction
from django.http import HttpResponse
from django.template import loader
from django.utils.translation import gettext_lazy as _
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

CACHE_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)
# How long to leave Redis alone after a failed call.
CACHE_RETRY_AFTER = 5.0

BACKGROUND_UNAVAILABLE = _("后台任务暂不可用，请稍后再试。")


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client builds a new `redis.Redis` object for every
    cache call (about 0.1 ms: it copies some 170 response callbacks each
    time). One object per connection pool does the same work: a `redis.Redis`
    holds no connection of its own and is safe to share between threads."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


# Work to do once Redis answers again, by name, for the whole process (each
# thread has its own cache object): see ResilientRedisCache.after_outage.
_AFTER_OUTAGE: dict = {}
_AFTER_OUTAGE_LOCK = threading.Lock()


class ResilientRedisCache(RedisCache):
    """RedisCache that behaves as an empty cache while Redis is down."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self._down_until = 0.0
        self._lock = threading.Lock()

    def after_outage(self, name: str, work) -> None:
        """Run `work(cache)` in this process as soon as a call to Redis
        succeeds again: for a write the outage dropped that must not be lost
        silently (a page cache version that was not bumped would let kept
        pages be served stale once Redis is back). It runs before that call,
        so the call already sees its effect; if it fails with a cache error,
        Redis counts as still down and it is tried again later."""
        with _AFTER_OUTAGE_LOCK:
            _AFTER_OUTAGE[name] = work

    def _run_after_outage(self) -> None:
        with _AFTER_OUTAGE_LOCK:
            pending = dict(_AFTER_OUTAGE)
            _AFTER_OUTAGE.clear()
        for work in pending.values():
            try:
                work(self)
            except CACHE_ERRORS:
                with _AFTER_OUTAGE_LOCK:
                    for again in pending:
                        _AFTER_OUTAGE.setdefault(again, pending[again])
                raise

    def _guard(self, name, default, call, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return default
        try:
            # What an outage left to do comes before the call itself: a read
            # must not see what that work is there to invalidate.
            if _AFTER_OUTAGE:
                self._run_after_outage()
            return call(*args, **kwargs)
        except CACHE_ERRORS as exc:
            with self._lock:
                first = time.monotonic() >= self._down_until
                self._down_until = time.monotonic() + CACHE_RETRY_AFTER
            if first:
                log.warning("cache unavailable (%s: %s); serving without it", name, exc)
            return default

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # Reported as stored, so that locks and rate limits kept in the cache
        # (allauth's login limits) fail open rather than lock everyone out.
        return self._guard("add", True, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._guard("get", default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("set", None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._guard("delete", False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._guard("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._guard("has_key", False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._guard("incr", missing, super().incr, key, delta, version)
        if value is missing:  # as if the key were not there
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        return value

    def count_in_window(self, key, timeout: int, version=None) -> int | None:
        """Add one to the counter `key` and return it, starting it at 1 with
        `timeout` seconds to live when it is new: one round trip (INCR, and
        EXPIRE NX in the same pipeline), where Django's add-then-incr takes
        three. None while Redis is unreachable (a limit then fails open)."""

        def count():
            client = self._cache.get_client(key, write=True)
            name = self.make_and_validate_key(key, version=version)
            pipe = client.pipeline(transaction=True)
            pipe.incr(name)
            pipe.expire(name, timeout, nx=True)
            return int(pipe.execute()[0])

        return self._guard("count_in_window", None, count)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(
            "set_many", list(data), super().set_many, data, timeout, version
        )

    def delete_many(self, keys, version=None):
        return self._guard("delete_many", None, super().delete_many, keys, version)

    def clear(self):
        return self._guard("clear", False, super().clear)


# --- PostgreSQL unreachable --------------------------------------------------

DB_RETRY_AFTER = 30
DB_ERRORS = (OperationalError, InterfaceError)


def database_unavailable_response(request=None) -> HttpResponse:
    body = loader.get_template("503.html").render({"retry_after": DB_RETRY_AFTER})
    response = HttpResponse(body, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(DB_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """A view that fails because the database is unreachable answers 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DB_ERRORS):
            log.error("database unavailable: %s", exception)
            return database_unavailable_response(request)
        return None


def server_error(request):
    """handler500: a database outage anywhere in the middleware chain (the
    session, the user) gets the 503 page too; anything else the 500 page."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DB_ERRORS):
        return database_unavailable_response(request)
    body = loader.get_template("500.html").render({})
    return HttpResponse(body, status=500, content_type="text/html; charset=utf-8")


# --- Starting background work ------------------------------------------------


def enqueue(task, *args, on_failure=None, **options) -> None:
    """Send `task` after the current transaction commits (at once outside
    one). If the broker cannot take it, log and call `on_failure(exc)`: the
    caller marks its job failed so that nothing waits forever for a message
    that was never sent."""

    def send():
        app = task.app  # the app the task is bound to (the site's)
        if app.conf.task_always_eager:  # in process: the task's own errors
            task.apply_async(args=args, **options)
            return
        try:
            task.apply_async(args=args, **options)
        except Exception as exc:  # kombu/redis errors vary by transport
            log.error("could not queue %s%r: %s", task.name, args, exc)
            if on_failure is not None:
                on_failure(exc)

    transaction.on_commit(send)


def broker_available(timeout: float = 1.0) -> bool:
    """Whether the Celery broker answers now (eager mode always does)."""
    from celery import current_app as app

    if app.conf.task_always_eager:
        return True
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        return True
    except Exception as exc:
        log.warning("broker unavailable: %s", exc)
        return False
