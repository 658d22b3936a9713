"""The beat schedule runs once, however many beat processes are started.

Run exactly one `celery -A cms beat` (or one worker with -B). Should a second
one be started by mistake (a second node with the same unit file), it is
harmless: a beat sends scheduled tasks only while it holds a lock in Redis
(`SET NX PX`, renewed on every tick); the other waits and takes over within
CELERY_BEAT_LOCK_SECONDS when the holder dies. Without Redis (the embedded
default, eager tasks) the lock is not used.
"""

from __future__ import annotations

import logging
import uuid

from celery.beat import PersistentScheduler
from django.conf import settings

log = logging.getLogger(__name__)

LOCK_KEY = "tdl:celery-beat:lock"
# Renew only if we still hold it; atomic in Redis.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class LockedScheduler(PersistentScheduler):
    def __init__(self, *args, **kwargs):
        self._token = uuid.uuid4().hex
        self._holding = False
        self._redis = None
        super().__init__(*args, **kwargs)

    def _client(self):
        if self._redis is None and settings.REDIS_URL:
            import redis

            self._redis = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=2
            )
        return self._redis

    def _lock_seconds(self) -> int:
        return max(2, int(settings.CELERY_BEAT_LOCK_SECONDS))

    def holds_lock(self) -> bool:
        client = self._client()
        if client is None:
            return True
        ms = self._lock_seconds() * 1000
        try:
            if self._holding and client.eval(_RENEW, 1, LOCK_KEY, self._token, ms):
                return True
            got = bool(client.set(LOCK_KEY, self._token, nx=True, px=ms))
        except Exception as exc:  # Redis down: nothing can be sent anyway
            log.warning("beat lock unavailable: %s", exc)
            got = False
        if got != self._holding:
            log.info(
                "beat: %s the schedule lock",
                "holding" if got else "another beat holds",
            )
        self._holding = got
        return got

    def tick(self, *args, **kwargs):
        # Wake often enough to renew the lock before it expires.
        wait = max(1.0, self._lock_seconds() / 3)
        if not self.holds_lock():
            return wait
        return min(super().tick(*args, **kwargs), wait)

    def close(self):
        client = self._client()
        if client is not None and self._holding:
            try:
                client.eval(_RELEASE, 1, LOCK_KEY, self._token)
            except Exception:  # noqa: S110 - the lock expires on its own
                pass
        super().close()
