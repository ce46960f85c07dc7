"""Campaigns that repeat monthly (issue 22 item 5): a schedule is a campaign template (a
scenario, rules, a day of the month, a filter over the billing accounts) from which the
scheduler builds a normal campaign once per month, on that day.  Pure: the dates, the filter
and the template; the store and the runner live in dialer.repository.schedules and
dialer.scheduled."""

from __future__ import annotations

import calendar as months
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dialer.repository.errors import CampaignError
from dialer.window import CallingWindow
from hotline.contact_center.hours import ProductionCalendar

# A campaign built from a schedule is named "<schedule>-<YYYY-MM>" (a valid campaign name).
SCHEDULE_NAME: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,54}")
_PREFIX: Final = re.compile(r"[0-9A-Za-z-]{1,32}")
# A moved day never goes further than this (the longest Russian holidays are ~10 days).
MAX_MOVE_DAYS: Final = 31


class ScheduleError(CampaignError):
    """A schedule refused: a bad name, day, filter or template; the message says why."""


class DayOffRule(StrEnum):
    """What a schedule does when its day of the month is a day off (R-086; the setting
    dialer.schedules.day_off)."""

    NEXT_WORKING_DAY = "next_working_day"
    KEEP = "keep"


class ScheduleRunState(StrEnum):
    """One month's build of a schedule (campaign_schedule_runs.state)."""

    BUILDING = "building"  # claimed by a worker, being built
    STARTED = "started"  # the campaign was created, approved and started
    EMPTY = "empty"  # no account matched: no campaign
    FAILED = "failed"  # refused (the detail says why); nothing started


class AccountFilter(BaseModel):
    """Which billing accounts a monthly campaign calls: a small declarative structure (never
    SQL), validated with errors that name the field."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Debt above this many roubles (the balance owed, strictly greater); None: any balance.
    min_debt: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] | None = None
    # Only accounts whose due date is before the day the campaign is built.
    due_passed: bool = False
    # Region: accounts in these time zones (IANA names); empty: every zone.
    timezones: tuple[str, ...] = ()
    # Unit: account numbers starting with one of these; empty: every account.
    number_prefixes: tuple[str, ...] = ()
    # Only accounts with a registered phone (an account without one is reported otherwise).
    has_phone: bool = True
    # R-105 coverage: only accounts none of whose phones was surveyed (a survey answered or an
    # operator call rated) within this many months before the build; None: any account.
    not_surveyed_months: Annotated[int, Field(ge=1, le=120)] | None = None

    @field_validator("timezones")
    @classmethod
    def _zones(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for zone in value:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                raise ValueError(f"unknown time zone {zone!r} (e.g. Asia/Krasnoyarsk)") from None
        return value

    @field_validator("number_prefixes")
    @classmethod
    def _prefixes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for prefix in value:
            if not _PREFIX.fullmatch(prefix):
                raise ValueError(f"bad account number prefix {prefix!r}: 1-32 letters or digits")
        return value

    def describe(self) -> str:
        """The filter in Russian, as the console shows it."""
        parts = []
        if self.min_debt is not None:
            parts.append(f"долг больше {self.min_debt} руб.")
        if self.due_passed:
            parts.append("срок оплаты прошёл")
        if self.timezones:
            parts.append("часовой пояс: " + ", ".join(self.timezones))
        if self.number_prefixes:
            parts.append("лицевой счёт начинается с " + ", ".join(self.number_prefixes))
        if self.has_phone:
            parts.append("есть телефон")
        if self.not_surveyed_months is not None:
            parts.append(f"не опрошены за {self.not_surveyed_months} мес.")
        return "; ".join(parts) or "все лицевые счета"


def parse_filter(data: dict[str, Any]) -> AccountFilter:
    """``data`` as a filter; ScheduleError listing every bad field otherwise."""
    try:
        return AccountFilter.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'filter'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ScheduleError(f"bad account filter: {problems}") from None


def check_schedule_name(name: str) -> str:
    if not SCHEDULE_NAME.fullmatch(name):
        raise ScheduleError(
            f"bad schedule name {name!r}: 1-55 characters, lower-case latin letters, digits "
            "and '-', starting with a letter or digit"
        )
    return name


def check_day(day: int) -> int:
    if not 1 <= day <= 31:
        raise ScheduleError(f"day of month {day}: from 1 to 31 (31: the month's last day)")
    return day


def period_of(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def campaign_name(schedule: str, period: str) -> str:
    """The campaign a schedule builds for ``period``."""
    return f"{schedule}-{period}"


def nominal_day(day_of_month: int, year: int, month: int) -> date:
    """``day_of_month`` in that month; past its end (31 in April, 30 in February): the last."""
    return date(year, month, min(day_of_month, months.monthrange(year, month)[1]))


def occurrence(
    day_of_month: int, year: int, month: int, rule: DayOffRule, calendar: ProductionCalendar
) -> date:
    """The day the month's campaign is built: the nominal day, or (``next_working_day``) the
    first working day of the production calendar from it, possibly in the next month."""
    day = nominal_day(day_of_month, year, month)
    if rule is DayOffRule.KEEP:
        return day
    for _ in range(MAX_MOVE_DAYS):
        if calendar.is_working_day(day):
            return day
        day += timedelta(days=1)
    return day


def _months(first: date, last: date) -> Iterator[tuple[int, int]]:
    # From the month before ``first``: a moved day may fall in the next month.
    year, month = (first.year, first.month - 1) if first.month > 1 else (first.year - 1, 12)
    while (year, month) <= (last.year, last.month):
        yield year, month
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)


def occurrences(
    day_of_month: int,
    rule: DayOffRule,
    calendar: ProductionCalendar,
    first: date,
    last: date,
) -> list[tuple[str, date]]:
    """(period, day) of every build whose day is from ``first`` to ``last``."""
    found = []
    for year, month in _months(first, last):
        day = occurrence(day_of_month, year, month, rule, calendar)
        if first <= day <= last:
            found.append((period_of(year, month), day))
    return found


def due_at(day: date, window: CallingWindow, zone: ZoneInfo) -> datetime:
    """When the build of ``day`` is due: when the calling window first opens that day (the
    campaign starts within it), else at the start of the day (the dialer waits for the next
    opening: the rule was ``keep`` on a day off)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    opens = window.next_open(start)
    if opens is not None and opens.astimezone(zone).date() == day:
        return opens
    return start
