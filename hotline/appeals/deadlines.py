"""Answer deadlines (R-116, R-111) in working days of the Russian production calendar or in
calendar days.

A day is a working day when the production calendar says so (public holidays and days off
moved by decree are not; a weekend day worked by decree is), unless a supervisor's calendar
override (``calendar_overrides``, the same table the operator hours read) closes it: a
regional holiday the federal calendar does not know.  The count starts the day after
registration (a deadline "in N days" never counts the day the appeal came in).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, Final, Protocol

from hotline.settings import AppealSettings, Deadline
from hotline.store.calendar import OverrideStore
from hotline.store.db import Database

# Working days are looked up at most this far ahead (20 working days over the New Year run).
HORIZON_DAYS: Final = 400


class Calendar(Protocol):
    """What we use of a ``holidays.HolidayBase``."""

    def is_working_day(self, key: date) -> bool: ...


@functools.cache
def russian_calendar() -> Calendar:
    import holidays  # ~50 ms: only when a deadline is first computed

    calendar: Any = holidays.country_holidays("RU")
    return calendar  # type: ignore[no-any-return]


class WorkingDays:
    """The production calendar with the days a supervisor closed (``closed``)."""

    def __init__(self, closed: Iterable[date] = (), calendar: Calendar | None = None) -> None:
        self._closed = frozenset(closed)
        self._calendar = calendar

    def is_working(self, day: date) -> bool:
        if day in self._closed:
            return False
        calendar = self._calendar or russian_calendar()
        return calendar.is_working_day(day)

    def add(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start``."""
        day, left = start, days
        for _ in range(HORIZON_DAYS):
            day += timedelta(days=1)
            if self.is_working(day):
                left -= 1
                if left == 0:
                    return day
        raise ValueError(f"no {days} working days within {HORIZON_DAYS} days of {start}")


def due(registered: date, deadline: Deadline, calendar: WorkingDays) -> date:
    if deadline.working:
        return calendar.add(registered, deadline.days)
    return registered + timedelta(days=deadline.days)


def deadline_rule(settings: AppealSettings, category: str, topic: str) -> Deadline:
    """The first of ``category/topic``, ``category``, then the default (R-116)."""
    return (
        settings.deadlines.get(f"{category}/{topic}")
        or settings.deadlines.get(category)
        or settings.default_deadline
    )


async def working_days(db: Database, registered: date) -> WorkingDays:
    """The calendar with the overrides that close a day in the deadline's horizon."""
    overrides = await OverrideStore(db).list(registered, registered + timedelta(days=HORIZON_DAYS))
    return WorkingDays(record.day for record in overrides if not record.hours.strip())
