"""Agreed callback windows (R-109, R-110): when an operator is to call a customer back.  Pure:
no I/O; the hours come from :class:`OperatorHours` (schedule, production calendar, overrides).

A window always lies inside operator hours: it starts at an opening instant and ends at or
before that day's last closing, never in the past and never further ahead than
``callbacks.days_ahead``.  The IVR offers at most four (R-017), worked out from the hours:

* «в течение часа» — now to now + ``slot_minutes`` while the operators work and have that long;
* «сегодня после пятнадцати» — the rest of today from the next full hour after that;
* «завтра до полудня», «завтра после полудня» — a later working day (or today before it
  opens) split at noon; a day opening after noon is «после тринадцати», one closing before
  noon «до одиннадцати».

An operator in the console sets a window of their own (:func:`check_window`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Final

from hotline.contact_center.hours import OperatorHours

NOON: Final = time(12, 0)


class Said(StrEnum):
    """How a window is said: within the next slot, until a time, after a time."""

    SOON = "soon"
    UNTIL = "until"
    AFTER = "after"


@dataclass(frozen=True)
class Slot:
    """A window ``start`` ≤ t < ``end`` (aware, in the schedule's zone), ``offset`` days from
    today (0 today), said as ``said`` with ``at`` (the local time after or until which)."""

    start: datetime
    end: datetime
    offset: int
    said: Said
    at: time | None = None


class SlotError(ValueError):
    """A window an operator asked for is not allowed; the message is for people (Russian)."""


def _ceil_hour(at: datetime) -> datetime:
    floor = at.replace(minute=0, second=0, microsecond=0)
    return floor if floor == at else floor + timedelta(hours=1)


def _working_until(hours: OperatorHours, at: datetime) -> datetime | None:
    """When the operators working at ``at`` stop, across midnight: an opening that closes at
    24:00 and the next day's that opens at 00:00 are one stretch of work (a round-the-clock
    hotline at 23:30 still has the hour).  None when they are not working at ``at``."""
    closing = hours.closing_today(at)
    # A week of days that join at midnight is enough to tell "round the clock".
    for _ in range(7):
        if closing is None:
            break
        # 24:00 is kept as the day's last microsecond (``time.max``): look just past it.
        following = hours.closing_today(closing + timedelta(microseconds=1))
        if following is None or following <= closing:
            break
        closing = following
    return closing


def _day_openings(hours: OperatorHours, day: date) -> list[tuple[datetime, datetime]]:
    """The day's openings as aware instants in the schedule's zone (24:00: next midnight)."""
    found = []
    for opening in hours.hours_on(day).openings:
        opens = datetime.combine(day, opening.opens, tzinfo=hours.zone)
        if opening.closes == time.max:
            closes = datetime.combine(day + timedelta(days=1), time(0), tzinfo=hours.zone)
        else:
            closes = datetime.combine(day, opening.closes, tzinfo=hours.zone)
        found.append((opens.astimezone(UTC), closes.astimezone(UTC)))
    return found


def _fit(
    openings: list[tuple[datetime, datetime]], start: datetime, end: datetime
) -> tuple[datetime, datetime, timedelta] | None:
    """``start``..``end`` cut to the openings: the first open instant, the last open one, and
    the open time in between (a lunch break is not counted)."""
    parts = [(max(o, start), min(c, end)) for o, c in openings if min(c, end) > max(o, start)]
    if not parts:
        return None
    return parts[0][0], parts[-1][1], sum((b - a for a, b in parts), timedelta())


def offered_slots(
    hours: OperatorHours, now: datetime, *, slot_minutes: int, days_ahead: int, limit: int
) -> list[Slot]:
    """At most ``limit`` windows, earliest first, each with at least ``slot_minutes`` of
    operator time, none starting later than ``days_ahead`` days from ``now``."""
    slot = timedelta(minutes=slot_minutes)
    zone = hours.zone
    now = now.astimezone(UTC)
    horizon = now + timedelta(days=days_ahead)
    today = now.astimezone(zone).date()
    found: list[Slot] = []

    def add(start: datetime, end: datetime, offset: int, said: Said, at: time | None) -> None:
        if len(found) < limit and start <= horizon:
            found.append(Slot(start.astimezone(zone), end.astimezone(zone), offset, said, at))

    closing = _working_until(hours, now)
    if closing is not None and closing - now >= slot:
        add(now, now + slot, 0, Said.SOON, None)
    for offset in range(days_ahead + 1):
        day = today + timedelta(days=offset)
        openings = _day_openings(hours, day)
        if not openings:
            continue
        first, last = openings[0][0], openings[-1][1]
        if last <= now:
            continue
        if first < now:  # today, already under way: the rest of the day after a full hour
            after = _ceil_hour(found[-1].end if found else now)
            fitted = _fit(openings, after, last)
            if fitted is not None and fitted[2] >= slot:
                start, end, _ = fitted
                add(start, end, offset, Said.AFTER, start.astimezone(zone).time())
            continue
        noon = datetime.combine(day, NOON, tzinfo=zone).astimezone(UTC)
        morning = _fit(openings, first, noon)
        if morning is not None and morning[2] >= slot:
            start, end, _ = morning
            add(start, end, offset, Said.UNTIL, end.astimezone(zone).time())
        afternoon = _fit(openings, noon, last)
        if afternoon is not None and afternoon[2] >= slot:
            start, end, _ = afternoon
            add(start, end, offset, Said.AFTER, start.astimezone(zone).time())
    return found


def check_window(
    hours: OperatorHours,
    now: datetime,
    start: datetime,
    end: datetime | None = None,
    *,
    slot_minutes: int,
    days_ahead: int,
) -> tuple[datetime, datetime]:
    """The window an operator sets: ``start`` inside operator hours, not in the past, at most
    ``days_ahead`` days ahead; ``end`` (default ``start`` + ``slot_minutes``) cut to the
    closing of the opening ``start`` is in.  SlotError (Russian) otherwise."""
    if start.tzinfo is None or (end is not None and end.tzinfo is None):
        raise ValueError("give timezone-aware times")
    if start < now:
        raise SlotError("Время обратного звонка уже прошло.")
    if start > now + timedelta(days=days_ahead):
        raise SlotError(f"Обратный звонок назначается не дальше чем на {days_ahead} дн. вперёд.")
    closing = _working_until(hours, start)
    if closing is None:
        raise SlotError("В это время операторы не работают: выберите время в часы работы.")
    if end is None:
        end = start + timedelta(minutes=slot_minutes)
    if end <= start:
        raise SlotError("Конец окна должен быть позже начала.")
    end = min(end, closing)
    return start.astimezone(hours.zone), end.astimezone(hours.zone)
