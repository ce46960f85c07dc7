"""The do-not-call list: numbers no campaign dials, also campaigns already running."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select

from hotline.store.db import Database
from hotline.store.models import DncNumber


class DoNotCallList:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, phones: Iterable[str], by: str, reason: str, now: dt.datetime) -> int:
        """Add the numbers not listed yet; how many were new."""
        added = 0
        async with self._db.session() as session:
            existing = set((await session.execute(select(DncNumber.phone))).scalars().all())
            for phone in dict.fromkeys(phones):
                if phone not in existing:
                    session.add(DncNumber(phone=phone, added_at=now, added_by=by, reason=reason))
                    added += 1
        return added

    async def numbers(self) -> frozenset[str]:
        async with self._db.session() as session:
            return frozenset((await session.execute(select(DncNumber.phone))).scalars().all())
