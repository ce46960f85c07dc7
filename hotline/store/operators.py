"""Queue operators: their device and whether they are logged in and paused.  Every method
is its own unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from hotline.core.clock import utc_now
from hotline.core.errors import NotFound
from hotline.store import notify
from hotline.store.db import Database
from hotline.store.models import Operator


class UnknownOperator(NotFound):
    pass


@dataclass(frozen=True)
class OperatorRecord:
    name: str
    interface: str
    full_name: str | None
    simulated: bool
    logged_in: bool
    paused: bool
    # None: the operators' queue (R-097).
    department: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "interface": self.interface,
            "full_name": self.full_name,
            "simulated": self.simulated,
            "logged_in": self.logged_in,
            "paused": self.paused,
            "department": self.department,
        }


def _operator(row: Operator) -> OperatorRecord:
    return OperatorRecord(
        row.name,
        row.interface,
        row.full_name,
        row.simulated,
        row.logged_in,
        row.paused,
        row.department,
    )


class Operators:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        name: str,
        interface: str,
        *,
        full_name: str | None = None,
        simulated: bool = False,
        department: str | None = None,
    ) -> OperatorRecord:
        async with self._db.session() as session:
            if await session.get(Operator, name) is not None:
                raise ValueError(f"operator {name} already exists")
            taken = await session.scalar(
                select(Operator.name).where(Operator.interface == interface)
            )
            if taken is not None:
                raise ValueError(f"device {interface} already belongs to operator {taken}")
            row = Operator(
                name=name,
                interface=interface,
                full_name=full_name,
                simulated=simulated,
                created_at=utc_now(),
                department=department,
            )
            session.add(row)
            await session.flush()
            return _operator(row)

    async def get(self, name: str) -> OperatorRecord:
        async with self._db.session() as session:
            row = await session.get(Operator, name)
            if row is None:
                raise UnknownOperator(f"no operator {name}")
            return _operator(row)

    async def by_interface(self, interface: str) -> OperatorRecord | None:
        async with self._db.session() as session:
            row = await session.scalar(select(Operator).where(Operator.interface == interface))
            return _operator(row) if row is not None else None

    async def all(self) -> list[OperatorRecord]:
        async with self._db.session() as session:
            rows = await session.scalars(select(Operator).order_by(Operator.name))
            return [_operator(row) for row in rows]

    async def set_state(
        self, name: str, *, logged_in: bool | None = None, paused: bool | None = None
    ) -> None:
        values: dict[str, Any] = {}
        if logged_in is not None:
            values["logged_in"] = logged_in
        if paused is not None:
            values["paused"] = paused
        async with self._db.session() as session:
            result = await session.execute(
                update(Operator)
                .where(Operator.name == name)
                .values(**values)
                .returning(Operator.name)
            )
            if result.first() is None:
                raise UnknownOperator(f"no operator {name}")
            await notify.announce(
                session, notify.NotifyChannel.LIVE, notify.WakeReason.OPERATOR_CHANGED
            )
