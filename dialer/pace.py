"""When a running campaign should finish at its current pace (issue 22 item 5): the attempts
its contacts may still take, divided by the attempts it makes per hour of its calling window,
laid out over the window's coming open hours (evenings, days off and holidays of the
production calendar skipped).  Pure: the caller gives the numbers and the clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from dialer.window import CallingWindow

# No forecast beyond a year: a campaign that slow has no useful finish date.
HORIZON: Final = timedelta(days=366)


def remaining_attempts(open_contacts: int, attempts_made: int, max_attempts: int) -> int:
    """What ``open_contacts`` (not done yet, ``attempts_made`` attempts among them) may still
    take under ``max_attempts``: each at least one more."""
    if open_contacts <= 0:
        return 0
    return max(open_contacts * max_attempts - attempts_made, open_contacts)


def open_seconds(window: CallingWindow, start: datetime, end: datetime) -> float:
    """Seconds the window is open between ``start`` and ``end``."""
    if end <= start:
        return 0.0
    return sum((closes - opens).total_seconds() for opens, closes in window.periods(start, end))


def dial_rate(
    window: CallingWindow, attempts: int, started: datetime, now: datetime
) -> float | None:
    """Attempts per open second since ``started`` (None: nothing measured yet)."""
    seconds = open_seconds(window, started, now)
    if attempts <= 0 or seconds <= 0:
        return None
    return attempts / seconds


def expected_finish(
    window: CallingWindow, now: datetime, remaining: int, rate: float | None
) -> datetime | None:
    """When ``remaining`` attempts at ``rate`` attempts per open second are through, counting
    only the window's open time from ``now`` (``now`` itself when nothing remains; None when
    the pace is unknown or the end is beyond a year)."""
    if remaining <= 0:
        return now
    if rate is None or rate <= 0:
        return None
    needed = remaining / rate
    for opens, closes in window.periods(now, now + HORIZON):
        span = (closes - opens).total_seconds()
        if span >= needed:
            return opens + timedelta(seconds=needed)
        needed -= span
    return None
