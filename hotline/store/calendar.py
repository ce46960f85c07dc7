"""Calendar overrides (``calendar_overrides``) and loading :class:`OperatorHours` with them.

An override sets one local date's operator hours by hand: a regional day off the production
calendar does not know (the Tuvan Shagaa, Republic Day), a shortened pre-holiday day, a
one-off closure.  Hours are validated before they are stored, so the engine never meets a
string it cannot read.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from hotline.hours import HoursError, OperatorHours, Override, format_hours, parse_hours
from hotline.settings import HoursSettings
from hotline.store.db import Database
from hotline.store.models import CalendarOverride

log = logging.getLogger(__name__)

# The loader reads overrides from yesterday (a UTC instant late at night can still be
# "yesterday" locally) to this many days ahead: next_opening() looks 31 days ahead.
OVERRIDE_WINDOW_DAYS: Final = 62
# After a failed load the provider serves what it has and tries again this soon.
RETRY_AFTER: Final = 5.0
NOTE_MAX: Final = 1000
BY_MAX: Final = 64


@dataclass(frozen=True)
class OverrideRecord:
    day: date
    hours: str  # normalised ("08:00-14:00"); "" = closed
    note: str
    updated_at: datetime
    updated_by: str | None

    @property
    def override(self) -> Override:
        return Override(self.hours, self.note)


class CalendarOverrides:
    """The override table; every method is its own unit of work."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def list(self, first: date, last: date) -> builtins.list[OverrideRecord]:
        """Overrides from ``first`` to ``last``, both included, in date order."""
        query = (
            select(CalendarOverride)
            .where(CalendarOverride.day >= first, CalendarOverride.day <= last)
            .order_by(CalendarOverride.day)
        )
        async with self._db.session() as session:
            return [_record(row) for row in await session.scalars(query)]

    async def get(self, day: date) -> OverrideRecord | None:
        async with self._db.session() as session:
            row = await session.get(CalendarOverride, day)
            return _record(row) if row is not None else None

    async def set(
        self, day: date, hours: str, note: str = "", *, by: str | None = None
    ) -> OverrideRecord:
        """Set (or replace) ``day``'s hours; HoursError for hours that do not parse."""
        normalised = format_hours(parse_hours(hours, f"override {day.isoformat()}"))
        note = note.strip()
        if len(note) > NOTE_MAX:
            raise ValueError(f"override note is {len(note)} characters; at most {NOTE_MAX}")
        if by is not None and len(by) > BY_MAX:
            raise ValueError(f"override author {by!r} is longer than {BY_MAX} characters")
        updated_at = datetime.now(UTC)
        values = {
            "day": day,
            "hours": normalised,
            "note": note,
            "updated_at": updated_at,
            "updated_by": by,
        }
        insert = _dialect_insert(self._db.engine.dialect.name)(CalendarOverride).values(values)
        upsert = insert.on_conflict_do_update(
            index_elements=[CalendarOverride.day],
            set_={key: value for key, value in values.items() if key != "day"},
        )
        async with self._db.session() as session:
            await session.execute(upsert)
        return OverrideRecord(day, normalised, note, updated_at, by)

    async def remove(self, day: date) -> bool:
        """Drop ``day``'s override; False if it had none."""
        statement = (
            delete(CalendarOverride)
            .where(CalendarOverride.day == day)
            .returning(CalendarOverride.day)
        )
        async with self._db.session() as session:
            return (await session.execute(statement)).first() is not None

    async def overrides(self, first: date, last: date) -> dict[date, Override]:
        """The overrides of ``first``..``last`` ready for :class:`OperatorHours`.  A row that
        no longer parses (edited by hand) is logged and left out: that day follows the
        calendar instead of failing every call."""
        found: dict[date, Override] = {}
        for record in await self.list(first, last):
            try:
                found[record.day] = record.override
            except HoursError as exc:
                log.error("calendar override %s ignored: %s", record.day.isoformat(), exc)
        return found


async def load_operator_hours(
    db: Database, settings: HoursSettings, *, now: datetime | None = None
) -> OperatorHours:
    """Operator hours with the overrides of the coming weeks (one indexed query)."""
    zone = ZoneInfo(settings.timezone)
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    overrides = await CalendarOverrides(db).overrides(
        today - timedelta(days=1), today + timedelta(days=OVERRIDE_WINDOW_DAYS)
    )
    return OperatorHours(settings, overrides)


class HoursProvider:
    """:func:`load_operator_hours` remembered for ``ttl`` seconds, for the per-call check.

    Concurrent callers share one load.  When the database cannot be read the last good hours
    are kept (or, before any, the schedule and calendar without overrides) and the load is
    retried within a few seconds: a store outage never stops calls from being routed.
    """

    def __init__(
        self,
        db: Database,
        settings: HoursSettings,
        ttl: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._settings = settings
        self._ttl = ttl
        self._clock = clock
        self._hours: OperatorHours | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def current(self) -> OperatorHours:
        hours = self._fresh()
        if hours is not None:
            return hours
        async with self._lock:
            hours = self._fresh()  # another caller may have loaded meanwhile
            if hours is not None:
                return hours
            try:
                hours = await load_operator_hours(self._db, self._settings)
                self._expires = self._clock() + self._ttl
            except (SQLAlchemyError, OSError) as exc:
                log.error("operator hours: cannot read calendar overrides (%s); retrying", exc)
                hours = self._hours or OperatorHours(self._settings)
                self._expires = self._clock() + min(self._ttl, RETRY_AFTER)
            self._hours = hours
            return hours

    def invalidate(self) -> None:
        """Load again on the next :meth:`current` (after this process changed an override)."""
        self._expires = 0.0

    def _fresh(self) -> OperatorHours | None:
        if self._hours is not None and self._clock() < self._expires:
            return self._hours
        return None


def _record(row: CalendarOverride) -> OverrideRecord:
    return OverrideRecord(row.day, row.hours, row.note, row.updated_at, row.updated_by)


def _dialect_insert(name: str) -> type[sqlite.Insert] | type[postgresql.Insert]:
    if name == "sqlite":
        return sqlite.Insert
    if name == "postgresql":
        return postgresql.Insert
    raise NotImplementedError(f"calendar overrides do not support {name}")
