"""Attendance codes, shared by course sessions and studio activities: the six
digits on the organiser's screen, the window in which they are accepted, and
the lockout after repeated wrong guesses.

A six-digit code is only as strong as the number of guesses allowed: ten wrong
codes per person and event wait ten minutes (other people at the same event are
not held up). This module sits with the shared helpers at the bottom layer: it
imports only Django and `cms.shared.errors`."""

from __future__ import annotations

import datetime
import secrets

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.shared.errors import ApplicationError

CODE_DIGITS = 6
WINDOW_EARLY = datetime.timedelta(hours=1)
WINDOW_LATE = datetime.timedelta(hours=2)
MAX_FAILURES = 10
LOCKOUT_SECONDS = 600


def code_new() -> str:
    """A fresh random code, e.g. "038271"."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def window_open(
    *,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    now: datetime.datetime | None = None,
) -> bool:
    """Check-in is accepted from an hour before the start to two hours after
    the end."""
    now = now or timezone.now()
    return starts_at - WINDOW_EARLY <= now <= ends_at + WINDOW_LATE


def _failures_key(event: str, person_id: int) -> str:
    return f"check-in-failures:{event}:{person_id}"


def failures_count(*, event: str, person_id: int) -> int:
    """How many wrong codes this person has entered for this event lately."""
    return cache.get(_failures_key(event, person_id), 0)


def _failure_note(key: str) -> None:
    if not cache.add(key, 1, LOCKOUT_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired in between
            cache.add(key, 1, LOCKOUT_SECONDS)


def code_verify(
    *,
    event: str,
    person_id: int,
    expected: str,
    given: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    now: datetime.datetime | None = None,
) -> None:
    """Accept the code a person typed for an event, or raise `ApplicationError`
    saying why not. `event` names the event uniquely across kinds, e.g.
    "course-session:12" or "studio-activity:7".

    Order matters: a locked-out person is refused before the code is compared
    (so the right code does not leak through), a wrong code counts towards the
    lockout, and only a right code is told about the time window."""
    key = _failures_key(event, person_id)
    if cache.get(key, 0) >= MAX_FAILURES:
        raise ApplicationError(
            _("签到码错误次数过多，请 10 分钟后再试。"), {"reason": "locked"}
        )
    if not secrets.compare_digest(
        (given or "").strip().encode(), (expected or "").encode()
    ):
        _failure_note(key)
        raise ApplicationError(_("签到码不正确。"), {"reason": "wrong-code"})
    if not window_open(starts_at=starts_at, ends_at=ends_at, now=now):
        raise ApplicationError(
            _("不在签到时间内（开始前 1 小时至结束后 2 小时）。"),
            {"reason": "outside-window"},
        )
