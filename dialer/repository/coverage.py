"""Survey coverage (R-105: every customer of the target group surveyed at least once in the
window, 12 months by default), counted in SQL: one query, whatever the number of accounts.

An account of the target group counts as covered when one of its registered phones was
surveyed within the window, "surveyed" as the frequency cap counts it
(``hotline.store.surveys.surveyed_events``: a survey question answered or an operator call
rated).  A customer with two accounts and one phone is covered on both by one survey (the cap
would refuse a second one anyway)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select

from dialer.repository.schedules import accounts_where
from dialer.schedule import AccountFilter
from hotline.store.db import Database
from hotline.store.models import AccountPhone
from hotline.store.ratings import months_before
from hotline.store.surveys import surveyed_events


@dataclass(frozen=True)
class MonthLapse:
    """How many covered accounts fall out of the window in one calendar month."""

    month: str  # YYYY-MM, the installation's zone
    count: int


@dataclass(frozen=True)
class Coverage:
    at: dt.datetime
    window_months: int
    group: int  # accounts in the target group
    covered: int  # surveyed within the window
    never: int  # never surveyed
    overdue: int  # surveyed once, but not within the window
    due_soon: int  # covered now, overdue within a month
    months: tuple[MonthLapse, ...]  # covered accounts by the month they become overdue

    @property
    def uncovered(self) -> int:
        return self.never + self.overdue

    @property
    def percent(self) -> float:
        return round(100 * self.covered / self.group, 1) if self.group else 100.0


def _month_starts(now: dt.datetime, zone: ZoneInfo, count: int) -> list[dt.datetime]:
    """``now`` and the starts of the ``count`` following local months (UTC)."""
    local = now.astimezone(zone)
    year, month = local.year, local.month
    starts = [now]
    for _ in range(count):
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
        starts.append(dt.datetime(year, month, 1, tzinfo=zone).astimezone(dt.UTC))
    return starts


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def coverage(
    db: Database, target: AccountFilter, window_months: int, now: dt.datetime, zone: ZoneInfo
) -> Coverage:
    """The coverage of ``target`` at ``now``; the months table covers the window ahead."""
    since = months_before(now, window_months)
    soon = months_before(now, window_months - 1)
    group = accounts_where(target, now.astimezone(zone).date(), now).subquery("target")
    events = surveyed_events()
    last = (
        select(AccountPhone.account_number.label("number"), func.max(events.c.at).label("at"))
        .join(events, events.c.digits == AccountPhone.phone)
        .group_by(AccountPhone.account_number)
        .subquery("last_surveyed")
    )
    starts = _month_starts(now, zone, window_months)
    bounds = [months_before(start, window_months) for start in starts]
    lapses = [
        _count(and_(last.c.at >= low, last.c.at < high))
        for low, high in itertools.pairwise(bounds)
    ]
    query = (
        select(
            func.count(),
            _count(last.c.at >= since),
            _count(last.c.at.is_(None)),
            _count(last.c.at < since),
            _count(and_(last.c.at >= since, last.c.at < soon)),
            *lapses,
        )
        .select_from(group)
        .outerjoin(last, last.c.number == group.c.number)
    )
    async with db.session() as session:
        row = (await session.execute(query)).one()
    total, covered, never, overdue, due_soon, *by_month = (int(v) for v in row)
    months = tuple(
        MonthLapse(f"{start.astimezone(zone):%Y-%m}", count)
        for start, count in zip(starts, by_month, strict=False)
    )
    return Coverage(now, window_months, total, covered, never, overdue, due_soon, months)
