"""The shared attendance module: codes, the window, the lockout."""

import datetime

import pytest
from django.utils import timezone

from cms.shared import attendance
from cms.shared.errors import ApplicationError


def test_codes_are_six_digits_and_vary():
    codes = {attendance.code_new() for _ in range(50)}
    assert all(len(c) == 6 and c.isdecimal() for c in codes)
    assert len(codes) > 40


def test_the_window_runs_from_an_hour_before_to_two_hours_after():
    start = timezone.now()
    end = start + datetime.timedelta(hours=1)
    hour = datetime.timedelta(hours=1)
    minute = datetime.timedelta(minutes=1)
    assert attendance.window_open(starts_at=start, ends_at=end, now=start - hour)
    assert not attendance.window_open(
        starts_at=start, ends_at=end, now=start - hour - minute
    )
    assert attendance.window_open(starts_at=start, ends_at=end, now=end + 2 * hour)
    assert not attendance.window_open(
        starts_at=start, ends_at=end, now=end + 2 * hour + minute
    )


def test_ten_wrong_codes_lock_out_the_person_at_that_event_only():
    start = timezone.now()
    args = {"expected": "123456", "starts_at": start, "ends_at": start}
    for _ in range(attendance.MAX_FAILURES):
        with pytest.raises(ApplicationError, match="签到码不正确"):
            attendance.code_verify(event="e:1", person_id=1, given="000000", **args)
    with pytest.raises(ApplicationError, match="错误次数过多") as locked:
        attendance.code_verify(event="e:1", person_id=1, given="123456", **args)
    assert locked.value.extra == {"reason": "locked"}
    attendance.code_verify(event="e:1", person_id=2, given="123456", **args)
    attendance.code_verify(event="e:2", person_id=1, given=" 123456 ", **args)
    with pytest.raises(ApplicationError, match="不在签到时间内"):
        attendance.code_verify(
            event="e:3",
            person_id=1,
            given="123456",
            now=start + datetime.timedelta(hours=3),
            **args,
        )
