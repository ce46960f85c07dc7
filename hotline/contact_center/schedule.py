"""Operator hours as the engine sees them: the weekly schedule and the production calendar
(:mod:`hotline.contact_center.hours`) with the supervisors' overrides from the store.

An override sets one local date's operator hours by hand: a regional day off the production
calendar does not know (the Tuvan Shagaa, Republic Day), a shortened pre-holiday day, a
one-off closure.  Hours are validated here before they are stored, so the engine never meets
a string it cannot read.
"""

from __future__ import annotations

import builtins
import logging
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from hotline.contact_center.hours import (
    HoursError,
    OperatorHours,
    Override,
    format_hours,
    parse_hours,
)
from hotline.core.cache import LastGoodCache
from hotline.core.clock import utc_now
from hotline.settings import HoursSettings
from hotline.store.calendar import OverrideRecord, OverrideStore
from hotline.store.db import Database

log = logging.getLogger(__name__)

# The loader reads overrides from yesterday (a UTC instant late at night can still be
# "yesterday" locally) to this many days ahead: next_opening() looks 31 days ahead.
OVERRIDE_WINDOW_DAYS: Final = 62
# After a failed load the provider serves what it has and tries again this soon.
RETRY_AFTER: Final = 5.0
NOTE_MAX: Final = 1000
BY_MAX: Final = 64


def override_of(record: OverrideRecord) -> Override:
    """The stored row as :class:`OperatorHours` reads it (HoursError when it does not parse)."""
    return Override(record.hours, record.note)


class CalendarOverrides:
    """Supervisors' overrides: validated here, stored by :class:`OverrideStore`."""

    def __init__(self, db: Database) -> None:
        self._store = OverrideStore(db)

    async def list(self, first: date, last: date) -> builtins.list[OverrideRecord]:
        """Overrides from ``first`` to ``last``, both included, in date order."""
        return await self._store.list(first, last)

    async def get(self, day: date) -> OverrideRecord | None:
        return await self._store.get(day)

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
        return await self._store.put(day, normalised, note, by)

    async def remove(self, day: date) -> bool:
        """Drop ``day``'s override; False if it had none."""
        return await self._store.remove(day)

    async def overrides(self, first: date, last: date) -> dict[date, Override]:
        """The overrides of ``first``..``last`` ready for :class:`OperatorHours`.  A row that
        no longer parses (edited by hand) is logged and left out: that day follows the
        calendar instead of failing every call."""
        found: dict[date, Override] = {}
        for record in await self.list(first, last):
            try:
                found[record.day] = override_of(record)
            except HoursError as exc:
                log.error("calendar override %s ignored: %s", record.day.isoformat(), exc)
        return found


async def load_operator_hours(
    db: Database, settings: HoursSettings, *, now: datetime | None = None
) -> OperatorHours:
    """Operator hours with the overrides of the coming weeks (one indexed query)."""
    zone = ZoneInfo(settings.timezone)
    today = (now or utc_now()).astimezone(zone).date()
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
        self._cache: LastGoodCache[OperatorHours] = LastGoodCache(
            lambda: load_operator_hours(db, settings),
            ttl=ttl,
            on_failure=self._on_failure,
            errors=(SQLAlchemyError, OSError),
            retry_after=RETRY_AFTER,
            clock=clock,
        )

    async def current(self) -> OperatorHours:
        return await self._cache.get()

    def invalidate(self) -> None:
        """Load again on the next :meth:`current` (after this process changed an override)."""
        self._cache.invalidate()

    def _on_failure(self, last_good: OperatorHours | None, exc: Exception) -> OperatorHours:
        log.error("operator hours: cannot read calendar overrides (%s); retrying", exc)
        return last_good or OperatorHours(self._settings)
