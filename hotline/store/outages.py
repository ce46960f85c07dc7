"""Current outages (``outages``): the dispatcher or a supervisor registers one with its area,
cause and expected restoration time, and closes it when supply is back (R-097, R-032).

The store records what was typed; matching an account's address to an area is the
contact centre's (:mod:`hotline.contact_center.outages`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select

from hotline.core.clock import utc_now
from hotline.store.db import Database
from hotline.store.models import Outage

BY_MAX: Final = 64
CAUSE_MAX: Final = 500
PLACES_MAX: Final = 200
ACCOUNTS_MAX: Final = 5000


@dataclass(frozen=True)
class Place:
    """A settlement, and one of its streets (None: the whole settlement)."""

    settlement: str
    street: str | None = None

    def label(self) -> str:
        return self.settlement if self.street is None else f"{self.settlement}, {self.street}"


@dataclass(frozen=True)
class OutageRecord:
    id: int
    cause: str
    restore_at: datetime
    places: tuple[Place, ...]
    accounts: tuple[str, ...]
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None = None
    closed_by: str | None = None

    @property
    def open(self) -> bool:
        return self.closed_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "cause": self.cause,
            "restore_at": self.restore_at.isoformat(),
            "places": [p.label() for p in self.places],
            "accounts": list(self.accounts),
            "opened_at": self.opened_at.isoformat(),
            "opened_by": self.opened_by,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "closed_by": self.closed_by,
        }


class OutageStore:
    """Every method is its own unit of work."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        *,
        cause: str,
        restore_at: datetime,
        places: list[Place] | tuple[Place, ...] = (),
        accounts: list[str] | tuple[str, ...] = (),
        by: str,
    ) -> OutageRecord:
        """Register an open outage; its area is ``places`` or ``accounts`` (at least one)."""
        cause = " ".join(cause.split())
        if not cause:
            raise ValueError("say the outage's cause")
        if len(cause) > CAUSE_MAX:
            raise ValueError(f"the cause is longer than {CAUSE_MAX} characters")
        if restore_at.tzinfo is None:
            raise ValueError("the restoration time needs a time zone")
        clean_places = [_place(p) for p in places]
        clean_accounts = sorted({a.strip() for a in accounts if a.strip()})
        if not clean_places and not clean_accounts:
            raise ValueError("give the outage's area: settlements and streets, or accounts")
        if len(clean_places) > PLACES_MAX or len(clean_accounts) > ACCOUNTS_MAX:
            raise ValueError(f"at most {PLACES_MAX} places and {ACCOUNTS_MAX} accounts")
        if any(not a.isdigit() for a in clean_accounts):
            raise ValueError("an account number is digits only")
        area = {
            "places": [{"settlement": p.settlement, "street": p.street} for p in clean_places],
            "accounts": clean_accounts,
        }
        row = Outage(
            cause=cause, restore_at=restore_at, area=area, opened_at=utc_now(), opened_by=_by(by)
        )
        async with self._db.session() as session:
            session.add(row)
            await session.flush()
            return _record(row)

    async def close(self, outage_id: int, by: str) -> OutageRecord | None:
        """Close an open outage; None when there is no such outage.  Closing a closed one
        changes nothing."""
        async with self._db.session() as session:
            row = await session.get(Outage, outage_id)
            if row is None:
                return None
            if row.closed_at is None:
                row.closed_at = utc_now()
                row.closed_by = _by(by)
                await session.flush()
            return _record(row)

    async def get(self, outage_id: int) -> OutageRecord | None:
        async with self._db.session() as session:
            row = await session.get(Outage, outage_id)
            return _record(row) if row is not None else None

    async def list(self, *, open_only: bool = True, limit: int = 100) -> list[OutageRecord]:
        """The newest first."""
        query = select(Outage).order_by(Outage.id.desc()).limit(limit)
        if open_only:
            query = query.where(Outage.closed_at.is_(None))
        async with self._db.session() as session:
            return [_record(row) for row in await session.scalars(query)]


def _place(place: Place) -> Place:
    settlement = " ".join(place.settlement.split())
    street = " ".join(place.street.split()) if place.street else None
    if not settlement:
        raise ValueError("a place needs its settlement")
    return Place(settlement, street or None)


def _by(by: str) -> str:
    by = by.strip()
    if not by:
        raise ValueError("say who registers the outage (by)")
    if len(by) > BY_MAX:
        raise ValueError(f"name is longer than {BY_MAX} characters")
    return by


def _record(row: Outage) -> OutageRecord:
    area = row.area or {}
    return OutageRecord(
        id=row.id,
        cause=row.cause,
        restore_at=row.restore_at,
        places=tuple(Place(p["settlement"], p.get("street")) for p in area.get("places", [])),
        accounts=tuple(area.get("accounts", [])),
        opened_at=row.opened_at,
        opened_by=row.opened_by,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
    )
