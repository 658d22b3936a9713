"""A second beat is harmless (cms/beat.py): only the holder of the Redis lock
sends the schedule; another takes over when the holder stops renewing it."""

import time

import pytest
import redis
from django.conf import settings

from cms.beat import LOCK_KEY, LockedScheduler
from cms.celery import app


@pytest.fixture
def beats(tmp_path, settings):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL, as `make test` sets")
    settings.CELERY_BEAT_LOCK_SECONDS = 2
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(LOCK_KEY)
    made = [
        LockedScheduler(app=app, schedule_filename=str(tmp_path / f"s{n}"), lazy=True)
        for n in (1, 2)
    ]
    yield made
    client.delete(LOCK_KEY)


def test_only_one_beat_sends_and_the_other_takes_over(beats):
    first, second = beats
    assert first.holds_lock()
    assert not second.holds_lock()
    # The holder renews it on every tick.
    assert first.holds_lock() and not second.holds_lock()
    # The holder dies (no more ticks): within the lock's time the other takes over.
    time.sleep(settings.CELERY_BEAT_LOCK_SECONDS + 0.5)
    assert second.holds_lock()
    assert not first.holds_lock()
