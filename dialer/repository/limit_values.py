"""Pacing limits changed at run time (``hotline campaign limits``, the console); a limit
not stored here comes from the settings (``dialer.limits.resolve``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from hotline.store.db import Database
from hotline.store.models import DialerLimit


class StoredLimits:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> dict[str, float]:
        async with self._db.session() as session:
            rows = await session.execute(select(DialerLimit.name, DialerLimit.value))
            return {name: value for name, value in rows}

    async def set(self, name: str, value: float, by: str, now: dt.datetime) -> None:
        async with self._db.session() as session:
            await session.execute(delete(DialerLimit).where(DialerLimit.name == name))
            session.add(DialerLimit(name=name, value=value, updated_at=now, updated_by=by))
