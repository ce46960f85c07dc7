"""Calendar overrides (``calendar_overrides``): one local date's operator hours set by hand.

The store keeps the hours as normalised text; reading and validating them is the contact
center's business (:mod:`hotline.contact_center.schedule`), which checks them before they get
here, so the engine never meets a string it cannot read.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select

from hotline.core.clock import utc_now
from hotline.store.db import Database, dialect_insert
from hotline.store.models import CalendarOverride


@dataclass(frozen=True)
class OverrideRecord:
    day: date
    hours: str  # normalised ("08:00-14:00"); "" = closed
    note: str
    updated_at: datetime
    updated_by: str | None


class OverrideStore:
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

    async def put(self, day: date, hours: str, note: str, by: str | None) -> OverrideRecord:
        """Set (or replace) ``day``'s row with hours already normalised by the caller."""
        updated_at = utc_now()
        values = {
            "day": day,
            "hours": hours,
            "note": note,
            "updated_at": updated_at,
            "updated_by": by,
        }
        insert = dialect_insert(self._db)(CalendarOverride).values(values)
        upsert = insert.on_conflict_do_update(
            index_elements=[CalendarOverride.day],
            set_={key: value for key, value in values.items() if key != "day"},
        )
        async with self._db.session() as session:
            await session.execute(upsert)
        return OverrideRecord(day, hours, note, updated_at, by)

    async def remove(self, day: date) -> bool:
        """Drop ``day``'s override; False if it had none."""
        statement = (
            delete(CalendarOverride)
            .where(CalendarOverride.day == day)
            .returning(CalendarOverride.day)
        )
        async with self._db.session() as session:
            return (await session.execute(statement)).first() is not None


def _record(row: CalendarOverride) -> OverrideRecord:
    return OverrideRecord(row.day, row.hours, row.note, row.updated_at, row.updated_by)
