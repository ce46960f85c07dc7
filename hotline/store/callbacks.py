"""Callback requests left by callers (out of hours, or instead of waiting in the queue).
Every method is its own unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from hotline.core.clock import utc_now
from hotline.core.errors import NotFound
from hotline.store import notify
from hotline.store.db import Database
from hotline.store.enums import CallbackStatus
from hotline.store.models import Call, Callback
from hotline.store.types import as_utc


class UnknownCallback(NotFound):
    pass


class NotYourCallback(PermissionError):
    """An operator tried to close a request assigned to someone else."""


@dataclass(frozen=True)
class CallbackRecord:
    id: int
    requested_at: datetime
    number: str
    call_id: str | None
    account: str | None
    source: str
    status: CallbackStatus
    done_by: str | None
    done_at: datetime | None
    assigned_to: str | None = None
    # The agreed window; None for a request without one.
    due_at: datetime | None = None
    due_until: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "requested_at": self.requested_at.isoformat(),
            "number": self.number,
            "call_id": self.call_id,
            "account": self.account,
            "source": self.source,
            "status": self.status.value,
            "done_by": self.done_by,
            "done_at": self.done_at.isoformat() if self.done_at else None,
            "assigned_to": self.assigned_to,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "due_until": self.due_until.isoformat() if self.due_until else None,
        }


def _callback(row: Callback) -> CallbackRecord:
    return CallbackRecord(
        row.id,
        row.requested_at,
        row.number,
        row.call_id,
        row.account,
        row.source,
        row.status,
        row.done_by,
        row.done_at,
        row.assigned_to,
        row.due_at,
        row.due_until,
    )


# The record of a stored row, for the repositories beside this one (callback attempts).
callback_record = _callback


class CallbackStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def request(
        self,
        number: str,
        *,
        source: str,
        uniqueid: str | None = None,
        account: str | None = None,
        at: datetime | None = None,
        due_at: datetime | None = None,
        due_until: datetime | None = None,
    ) -> CallbackRecord:
        """Store a request, with its agreed window when one was chosen (committed when this
        returns: only then may the caller hear it was accepted, or when to expect the call)."""
        async with self._db.session() as session:
            call_id = None
            if uniqueid is not None:
                call_id = await session.scalar(select(Call.id).where(Call.uniqueid == uniqueid))
            row = Callback(
                requested_at=as_utc(at) if at else utc_now(),
                number=number,
                call_id=call_id,
                account=account,
                source=source,
                status=CallbackStatus.OPEN,
                due_at=as_utc(due_at) if due_at else None,
                due_until=as_utc(due_until) if due_until else None,
            )
            session.add(row)
            await session.flush()
            await notify.announce(
                session, notify.NotifyChannel.LIVE, notify.WakeReason.CALLBACK_CHANGED
            )
            return _callback(row)

    async def find(
        self,
        *,
        status: CallbackStatus | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[CallbackRecord]:
        query = select(Callback).order_by(Callback.requested_at, Callback.id)
        if status is not None:
            query = query.where(Callback.status == status)
        if start is not None:
            query = query.where(Callback.requested_at >= as_utc(start))
        if end is not None:
            query = query.where(Callback.requested_at < as_utc(end))
        async with self._db.session() as session:
            return [_callback(row) for row in await session.scalars(query)]

    async def overdue(self, now: datetime) -> list[CallbackRecord]:
        """Open requests whose agreed window has passed, the newest due first."""
        query = (
            select(Callback)
            .where(Callback.status == CallbackStatus.OPEN, Callback.due_until <= as_utc(now))
            .order_by(Callback.due_at.desc(), Callback.id.desc())
        )
        async with self._db.session() as session:
            return [_callback(row) for row in await session.scalars(query)]

    async def assign_due(self, now: datetime, operators: list[str]) -> list[CallbackRecord]:
        """Give every open, unassigned request whose window has opened to the operator with
        the fewest open requests (ties: by name); the requests assigned."""
        if not operators:
            return []
        async with self._db.session() as session:
            due = list(
                await session.scalars(
                    select(Callback)
                    .where(
                        Callback.status == CallbackStatus.OPEN,
                        Callback.assigned_to.is_(None),
                        Callback.due_at <= as_utc(now),
                    )
                    .order_by(Callback.due_at, Callback.id)
                    .with_for_update(skip_locked=True)
                )
            )
            if not due:
                return []
            counts = dict.fromkeys(operators, 0)
            load = await session.execute(
                select(Callback.assigned_to, func.count())
                .where(
                    Callback.status == CallbackStatus.OPEN,
                    Callback.assigned_to.in_(operators),
                )
                .group_by(Callback.assigned_to)
            )
            for name, count in load:
                if name is not None:
                    counts[name] = count
            for row in due:
                least = min(sorted(counts), key=lambda name: counts[name])
                row.assigned_to = least
                counts[least] += 1
            await notify.announce(
                session, notify.NotifyChannel.LIVE, notify.WakeReason.CALLBACK_CHANGED
            )
            await session.flush()
            return [_callback(row) for row in due]

    async def assign(self, callback_id: int, to: str | None) -> CallbackRecord:
        """Give a request to operator ``to`` (None: back to everyone)."""
        async with self._db.session() as session:
            row = await session.get(Callback, callback_id)
            if row is None:
                raise UnknownCallback(f"no callback request {callback_id}")
            row.assigned_to = to
            await notify.announce(
                session, notify.NotifyChannel.LIVE, notify.WakeReason.CALLBACK_CHANGED
            )
            await session.flush()
            return _callback(row)

    async def set_slot(
        self,
        callback_id: int,
        due_at: datetime,
        due_until: datetime,
        *,
        by: str | None = None,
    ) -> tuple[CallbackRecord, CallbackRecord]:
        """Set or move the agreed window; returns the request before and after.  With ``by``
        (an operator, not a supervisor) only a request that is unassigned or assigned to
        ``by`` (NotYourCallback otherwise)."""
        async with self._db.session() as session:
            row = await session.get(Callback, callback_id, with_for_update=True)
            if row is None:
                raise UnknownCallback(f"no callback request {callback_id}")
            if by is not None and row.assigned_to not in (None, by):
                raise NotYourCallback(
                    f"callback request {callback_id} is assigned to {row.assigned_to}"
                )
            before = _callback(row)
            row.due_at = as_utc(due_at)
            row.due_until = as_utc(due_until)
            await session.flush()
            return before, _callback(row)

    async def done(
        self,
        callback_id: int,
        by: str,
        note: str | None = None,
        at: datetime | None = None,
        *,
        any_assignee: bool = True,
    ) -> CallbackRecord:
        """Close a request; unless ``any_assignee``, only one unassigned or assigned to
        ``by`` (NotYourCallback otherwise)."""
        async with self._db.session() as session:
            row = await session.get(Callback, callback_id, with_for_update=True)
            if row is None:
                raise UnknownCallback(f"no callback request {callback_id}")
            if not any_assignee and row.assigned_to not in (None, by):
                raise NotYourCallback(
                    f"callback request {callback_id} is assigned to {row.assigned_to}"
                )
            if row.status is not CallbackStatus.DONE:
                row.status = CallbackStatus.DONE
                row.done_by = by
                row.done_at = as_utc(at) if at else utc_now()
                row.note = note
            await session.flush()
            return _callback(row)
