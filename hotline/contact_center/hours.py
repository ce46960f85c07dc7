"""Operator hours: when live agents take calls (R-010, R-012).  Pure: no I/O.

The IVR itself answers around the clock (R-011); only the operators keep hours.  A day's hours
come from, highest priority first:

1. an **override** from the store (``calendar_overrides``): a regional day off such as the
   Tuvan Shagaa or Republic Day, a shortened pre-holiday day, any one-off change;
2. the **Russian production calendar** (the ``holidays`` package, government decrees included):
   a *moved working day* (a weekend day worked instead, e.g. Saturday 2025-11-01) has Monday's
   hours; a *non-working day* (a public holiday or a day off moved onto a weekday, e.g.
   2026-01-09) has ``holiday_hours``;
3. the **weekly schedule** in ``settings.hours``.

Hours are written ``"HH:MM-HH:MM"``; a day with a break lists its openings separated by commas
(``"09:00-13:00,14:00-17:00"``); ``""`` is closed.  Periods open inclusive and close
exclusive, in the schedule's time zone, and never run past midnight.  Every time given to or
returned by :class:`OperatorHours` is timezone-aware.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any, Final, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hotline.settings import HoursSettings

WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# next_opening() looks this far ahead; the longest Russian holiday run is 10-11 days.
NEXT_OPENING_HORIZON: Final = timedelta(days=31)
# Holiday names in source strings and the CLI (callers never hear them).
HOLIDAY_LANGUAGE: Final = "en_US"
CLOSED: Final = ""

_PERIOD: Final = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")
# "…-24:00" closes at midnight: the day's last instant, so a day can be open throughout.
END_OF_DAY: Final = time.max
END_OF_DAY_TEXT: Final = "24:00"
_FORMAT_HINT: Final = 'expected "HH:MM-HH:MM" (e.g. "08:00-20:00"), openings separated by ","'


class HoursError(ValueError):
    """A schedule string or time zone is invalid; the message names the day or setting."""


@dataclass(frozen=True, order=True)
class Opening:
    """One stretch of operator time within a day: ``opens`` ≤ t < ``closes``."""

    opens: time
    closes: time

    def __str__(self) -> str:
        closes = END_OF_DAY_TEXT if self.closes == END_OF_DAY else f"{self.closes:%H:%M}"
        return f"{self.opens:%H:%M}-{closes}"


def parse_hours(text: str, where: str = "hours") -> tuple[Opening, ...]:
    """``"08:00-20:00"`` or ``"09:00-13:00,14:00-17:00"`` → openings; ``""`` → closed (no
    openings).  HoursError naming ``where`` (e.g. ``hours.monday``) for anything else."""
    text = text.strip()
    if text == CLOSED:
        return ()
    openings: list[Opening] = []
    for part in text.split(","):
        match = _PERIOD.fullmatch(part.strip())
        if match is None:
            raise HoursError(f'{where}: bad hours {text!r}: {_FORMAT_HINT}, or "" for closed')
        oh, om, ch, cm = (int(g) for g in match.groups())
        until_midnight = (ch, cm) == (24, 0)
        if oh > 23 or (ch > 23 and not until_midnight) or om > 59 or cm > 59:
            raise HoursError(f"{where}: bad hours {text!r}: no such time of day in {part!r}")
        opening = Opening(time(oh, om), END_OF_DAY if until_midnight else time(ch, cm))
        if opening.closes <= opening.opens:
            raise HoursError(
                f"{where}: bad hours {text!r}: {part.strip()!r} closes before it opens "
                "(openings cannot run past midnight)"
            )
        if openings and opening.opens < openings[-1].closes:
            raise HoursError(
                f"{where}: bad hours {text!r}: openings must be in order and not overlap"
            )
        openings.append(opening)
    return tuple(openings)


def format_hours(openings: tuple[Opening, ...]) -> str:
    """The inverse of :func:`parse_hours` (``""`` when closed)."""
    return ",".join(str(p) for p in openings)


@dataclass(frozen=True)
class Override:
    """A day's hours set by a supervisor: ``hours`` as in the settings (``""`` closed)."""

    hours: str
    note: str = ""
    openings: tuple[Opening, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "openings", parse_hours(self.hours, "override"))


@dataclass(frozen=True)
class DayHours:
    """A day's operator hours and why.  ``opens``/``closes`` are the first opening and the
    last closing (None when closed); ``openings`` lists every opening when the day has a break.

    ``source``: ``weekly:<weekday>``, ``holiday:<name>``, ``working-day`` (a weekend day
    worked by decree, with Monday's hours) or ``override:<note>``.
    """

    opens: time | None
    closes: time | None
    source: str
    openings: tuple[Opening, ...] = ()

    def __post_init__(self) -> None:
        if (self.opens is None) != (self.closes is None):
            raise ValueError("DayHours: give both opens and closes, or neither (closed)")
        if not self.openings and self.opens is not None and self.closes is not None:
            object.__setattr__(self, "openings", (Opening(self.opens, self.closes),))

    @classmethod
    def of(cls, openings: tuple[Opening, ...], source: str) -> DayHours:
        if not openings:
            return cls(None, None, source)
        return cls(openings[0].opens, openings[-1].closes, source, openings)

    @property
    def closed(self) -> bool:
        return not self.openings

    def __str__(self) -> str:
        return format_hours(self.openings) or "closed"


class ProductionCalendar(Protocol):
    """What we use of a ``holidays.HolidayBase`` (a dict of date → name, populated lazily)."""

    def get(self, key: date, default: Any = None) -> Any: ...

    def is_weekend(self, key: date) -> bool: ...

    def is_working_day(self, key: date) -> bool: ...


@functools.cache
def russian_calendar() -> ProductionCalendar:
    """The Russian production calendar: public holidays, days off moved by decree (as
    holidays) and weekend days worked by decree (``weekend_workdays``).  Years fill in on
    first use; one shared instance."""
    import holidays  # ~50 ms to import: only when hours are first needed

    calendar: ProductionCalendar = holidays.country_holidays("RU", language=HOLIDAY_LANGUAGE)
    return calendar


_NO_OVERRIDES: Final[Mapping[date, Override]] = MappingProxyType({})


class OperatorHours:
    """The weekly schedule + production calendar + overrides, in ``settings.timezone``.

    ``overrides`` are the ones the caller loaded (the store's loader gives the coming weeks);
    days outside them follow the calendar and the schedule.  ``calendar`` is for tests.
    """

    def __init__(
        self,
        settings: HoursSettings,
        overrides: Mapping[date, Override] = _NO_OVERRIDES,
        *,
        calendar: ProductionCalendar | None = None,
    ) -> None:
        try:
            self.zone = ZoneInfo(settings.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise HoursError(f"hours.timezone: unknown time zone {settings.timezone!r}") from exc
        self._weekly = tuple(
            parse_hours(getattr(settings, day), f"hours.{day}") for day in WEEKDAYS
        )
        self._holiday = parse_hours(settings.holiday_hours, "hours.holiday_hours")
        self._overrides = dict(overrides)
        self._calendar = calendar

    @property
    def calendar(self) -> ProductionCalendar:
        if self._calendar is None:
            self._calendar = russian_calendar()
        return self._calendar

    @property
    def overrides(self) -> Mapping[date, Override]:
        return MappingProxyType(self._overrides)

    # --- days -----------------------------------------------------------------------------
    def hours_on(self, day: date) -> DayHours:
        """The operators' hours on local date ``day``, and which rule gave them."""
        override = self._overrides.get(day)
        if override is not None:
            return DayHours.of(override.openings, f"override:{override.note}")
        calendar = self.calendar
        if calendar.is_weekend(day) and calendar.is_working_day(day):
            return DayHours.of(self._weekly[0], "working-day")
        holiday = calendar.get(day)
        if holiday is not None:
            return DayHours.of(self._holiday, f"holiday:{holiday}")
        weekday = day.weekday()
        return DayHours.of(self._weekly[weekday], f"weekly:{WEEKDAYS[weekday]}")

    def days(self, first: date, count: int) -> Iterator[tuple[date, DayHours]]:
        """``count`` consecutive days from ``first`` with their hours."""
        for offset in range(count):
            day = first + timedelta(days=offset)
            yield day, self.hours_on(day)

    def periods_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The openings of local date ``day`` as (opens, closes) UTC instants."""
        return [
            (self._instant(day, o.opens), self._instant(day, o.closes))
            for o in self.hours_on(day).openings
        ]

    # --- instants -------------------------------------------------------------------------
    def local(self, at: datetime) -> datetime:
        """``at`` in the schedule's time zone; ValueError for a naive datetime."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"naive datetime {at.isoformat()}: give a timezone-aware one")
        return at.astimezone(self.zone)

    def is_open(self, at: datetime) -> bool:
        return self._period_at(at) is not None

    def closing_today(self, at: datetime) -> datetime | None:
        """When the opening in progress at ``at`` closes (in the schedule's zone), or None when
        the operators are not working at ``at``.  With a lunch break, that is the break."""
        found = self._period_at(at)
        return found[1].astimezone(self.zone) if found is not None else None

    def next_opening(self, at: datetime) -> datetime | None:
        """The start of the first opening that begins at or after ``at`` (in the schedule's
        zone; while open that is the *next* opening, after a break or on a later day), or
        None if there is none within 31 days."""
        start = self.local(at)
        limit = _utc(at) + NEXT_OPENING_HORIZON
        for day, hours in self.days(start.date(), NEXT_OPENING_HORIZON.days + 1):
            for opening in hours.openings:
                opens = self._instant(day, opening.opens)
                if opens > limit:
                    return None
                if opens >= _utc(at):
                    return opens.astimezone(self.zone)
        return None

    def _period_at(self, at: datetime) -> tuple[datetime, datetime] | None:
        # Compared as UTC instants: aware datetimes sharing a tzinfo compare by wall clock,
        # which is wrong across a DST change.
        day = self.local(at).date()
        now = _utc(at)
        for opening in self.hours_on(day).openings:
            opens, closes = self._instant(day, opening.opens), self._instant(day, opening.closes)
            if opens <= now < closes:
                return opens, closes
        return None

    def _instant(self, day: date, wall: time) -> datetime:
        """Local wall-clock ``wall`` on ``day`` as a UTC instant (PEP 495 ``fold=0``): a time
        skipped by a spring-forward change is shifted later by the gap (02:30 → 03:30, as
        java.time does); a time repeated by a fall-back change means its first occurrence."""
        return datetime.combine(day, wall, tzinfo=self.zone).astimezone(UTC)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()}: give a timezone-aware one")
    return at.astimezone(UTC)
