"""The campaign calendar's month grid (issue 22 item 5): weeks from Monday, each day with its
campaigns (from start to end; a running one to its expected finish at the current pace),
the monthly schedules' builds, and weekends and Russian public holidays marked.  Pure: the
view gives the campaigns, the builds, the production calendar and today."""

from __future__ import annotations

import calendar as months
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

from hotline.contact_center.hours import ProductionCalendar

MONTHS: Final = (
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
)
WEEKDAYS: Final = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")
MONTH_PARAM: Final = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Span:
    """A campaign's days in the installation's zone; ``last`` is where its bar ends."""

    name: str
    kind: str
    state: str
    first: date
    last: date
    ends: date | None = None  # planned end (ends_at) or the day it finished
    expected: date | None = None  # expected finish at the current pace (running)


@dataclass(frozen=True)
class Build:
    """A schedule's build on a day: done (``campaign`` named, ``state`` its run state) or
    coming (``state`` "planned")."""

    schedule: str
    period: str
    day: date
    state: str
    campaign: str | None = None


@dataclass(frozen=True)
class Bar:
    span: Span
    starts: bool
    ends: bool
    expected: bool


@dataclass
class Day:
    day: date
    in_month: bool
    today: bool
    day_off: bool
    holiday: str | None
    bars: list[Bar] = field(default_factory=list)
    builds: list[Build] = field(default_factory=list)


@dataclass(frozen=True)
class Month:
    first: date
    title: str
    weeks: list[list[Day]]
    previous: str
    next: str


def parse_month(text: str | None, today: date) -> date:
    """``YYYY-MM`` as the month's first day; ValueError for anything else (None: today's)."""
    if text is None:
        return today.replace(day=1)
    found = MONTH_PARAM.fullmatch(text)
    if found is None or not 1900 < int(found.group(1)) < 2200:
        raise ValueError(text)
    return date(int(found.group(1)), int(found.group(2)), 1)


def grid_bounds(first: date) -> tuple[date, date]:
    """The Monday before (or on) the month's first day, and the Sunday after its last."""
    last = first.replace(day=months.monthrange(first.year, first.month)[1])
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


def _shift(first: date, months_ahead: int) -> date:
    index = first.year * 12 + first.month - 1 + months_ahead
    return date(index // 12, index % 12 + 1, 1)


def month_grid(
    first: date,
    spans: Iterable[Span],
    builds: Iterable[Build],
    calendar: ProductionCalendar,
    today: date,
    holiday_name: Callable[[date], str | None],
) -> Month:
    """The grid of the month starting ``first``."""
    start, end = grid_bounds(first)
    shown = list(spans)
    by_day: dict[date, list[Build]] = {}
    for build in builds:
        by_day.setdefault(build.day, []).append(build)
    weeks: list[list[Day]] = []
    day = start
    while day <= end:
        if day.weekday() == 0:
            weeks.append([])
        holiday = holiday_name(day) if calendar.get(day) is not None else None
        cell = Day(
            day,
            day.month == first.month,
            day == today,
            not calendar.is_working_day(day),
            holiday,
            builds=sorted(by_day.get(day, []), key=lambda b: b.schedule),
        )
        for span in shown:
            if span.first <= day <= span.last:
                cell.bars.append(
                    Bar(span, day == span.first, day == span.ends, day == span.expected)
                )
        weeks[-1].append(cell)
        day += timedelta(days=1)
    return Month(
        first,
        f"{MONTHS[first.month - 1]} {first.year}",
        weeks,
        f"{_shift(first, -1):%Y-%m}",
        f"{_shift(first, 1):%Y-%m}",
    )


def span_last(
    first: date, ends: date | None, expected: date | None, today: date, running: bool
) -> date:
    """Where a campaign's bar ends: its end, its expected finish, or (still running without
    either) today; never before its first day."""
    candidates = [d for d in (ends, expected) if d is not None]
    if running:
        candidates.append(today)
    return max([first, *candidates])
