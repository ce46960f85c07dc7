"""Store for the operator queue: callbacks, queue events, operators, recordings and the
recordings' audit log.  Every method is its own unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from hotline.core.clock import utc_now
from hotline.store.db import Database
from hotline.store.enums import CallbackStatus, QueueEventKind
from hotline.store.models import (
    AuditEntry,
    Call,
    Callback,
    Operator,
    QueueEvent,
    Recording,
    RecordingAccess,
)
from hotline.store.types import as_utc


class NotFound(LookupError):
    pass


# --- callbacks -----------------------------------------------------------------------------
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
    )


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
    ) -> CallbackRecord:
        """Store a request (committed when this returns: only then may the caller hear it
        was accepted)."""
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
            )
            session.add(row)
            await session.flush()
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

    async def done(
        self, callback_id: int, by: str, note: str | None = None, at: datetime | None = None
    ) -> CallbackRecord:
        async with self._db.session() as session:
            row = await session.get(Callback, callback_id)
            if row is None:
                raise NotFound(f"no callback request {callback_id}")
            if row.status is not CallbackStatus.DONE:
                row.status = CallbackStatus.DONE
                row.done_by = by
                row.done_at = as_utc(at) if at else utc_now()
                row.note = note
            await session.flush()
            return _callback(row)


# --- queue events --------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueEventRecord:
    at: datetime
    kind: QueueEventKind
    uniqueid: str
    queue: str
    member: str | None = None
    position: int | None = None
    wait: int | None = None
    talk: int | None = None
    detail: dict[str, Any] | None = None


class QueueEvents:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, event: QueueEventRecord) -> None:
        async with self._db.session() as session:
            session.add(
                QueueEvent(
                    at=as_utc(event.at),
                    kind=event.kind,
                    uniqueid=event.uniqueid,
                    queue=event.queue,
                    member=event.member,
                    position=event.position,
                    wait=event.wait,
                    talk=event.talk,
                    detail=event.detail,
                )
            )

    async def between(self, start: datetime, end: datetime) -> list[QueueEventRecord]:
        """Events of the calls that joined the queue in ``[start, end)`` (all their events,
        also those after ``end``), oldest first."""
        joined = (
            select(QueueEvent.uniqueid)
            .where(
                QueueEvent.kind == QueueEventKind.JOIN,
                QueueEvent.at >= as_utc(start),
                QueueEvent.at < as_utc(end),
            )
            .scalar_subquery()
        )
        query = (
            select(QueueEvent)
            .where(QueueEvent.uniqueid.in_(joined))
            .order_by(QueueEvent.at, QueueEvent.id)
        )
        async with self._db.session() as session:
            return [
                QueueEventRecord(
                    r.at,
                    r.kind,
                    r.uniqueid,
                    r.queue,
                    r.member,
                    r.position,
                    r.wait,
                    r.talk,
                    r.detail,
                )
                for r in await session.scalars(query)
            ]

    async def for_uniqueid(self, uniqueid: str) -> list[QueueEventRecord]:
        query = (
            select(QueueEvent)
            .where(QueueEvent.uniqueid == uniqueid)
            .order_by(QueueEvent.at, QueueEvent.id)
        )
        async with self._db.session() as session:
            return [
                QueueEventRecord(
                    r.at,
                    r.kind,
                    r.uniqueid,
                    r.queue,
                    r.member,
                    r.position,
                    r.wait,
                    r.talk,
                    r.detail,
                )
                for r in await session.scalars(query)
            ]

    async def since_kind(self, kind: QueueEventKind) -> list[QueueEventRecord]:
        """Every event of one kind, oldest first."""
        query = select(QueueEvent).where(QueueEvent.kind == kind).order_by(QueueEvent.id)
        async with self._db.session() as session:
            return [
                QueueEventRecord(r.at, r.kind, r.uniqueid, r.queue, r.member, wait=r.wait)
                for r in await session.scalars(query)
            ]

    async def latest_connect(self, member: str) -> QueueEventRecord | None:
        """The operator's latest answered call, unless that conversation has ended."""
        query = (
            select(QueueEvent)
            .where(
                QueueEvent.member == member,
                QueueEvent.kind.in_([QueueEventKind.CONNECT, QueueEventKind.COMPLETE]),
            )
            .order_by(QueueEvent.at.desc(), QueueEvent.id.desc())
            .limit(1)
        )
        async with self._db.session() as session:
            r = await session.scalar(query)
        if r is None or r.kind is not QueueEventKind.CONNECT:
            return None
        return QueueEventRecord(r.at, r.kind, r.uniqueid, r.queue, r.member, wait=r.wait)


# --- operators -----------------------------------------------------------------------------
@dataclass(frozen=True)
class OperatorRecord:
    name: str
    interface: str
    full_name: str | None
    simulated: bool
    logged_in: bool
    paused: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "interface": self.interface,
            "full_name": self.full_name,
            "simulated": self.simulated,
            "logged_in": self.logged_in,
            "paused": self.paused,
        }


def _operator(row: Operator) -> OperatorRecord:
    return OperatorRecord(
        row.name, row.interface, row.full_name, row.simulated, row.logged_in, row.paused
    )


class Operators:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, name: str, interface: str, *, full_name: str | None = None, simulated: bool = False
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
            )
            session.add(row)
            await session.flush()
            return _operator(row)

    async def get(self, name: str) -> OperatorRecord:
        async with self._db.session() as session:
            row = await session.get(Operator, name)
            if row is None:
                raise NotFound(f"no operator {name}")
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
                raise NotFound(f"no operator {name}")


# --- recordings ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordingRecord:
    id: int
    call_id: str | None
    uniqueid: str
    path: str
    caller: str | None
    account: str | None
    operator: str | None
    started_at: datetime
    duration: float | None
    purged_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "call_id": self.call_id,
            "uniqueid": self.uniqueid,
            "path": self.path,
            "caller": self.caller,
            "account": self.account,
            "operator": self.operator,
            "started_at": self.started_at.isoformat(),
            "duration": self.duration,
            "purged_at": self.purged_at.isoformat() if self.purged_at else None,
        }


def _recording(r: Recording) -> RecordingRecord:
    return RecordingRecord(
        r.id,
        r.call_id,
        r.uniqueid,
        r.path,
        r.caller,
        r.account,
        r.operator,
        r.started_at,
        r.duration,
        r.purged_at,
    )


class Recordings:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def started(
        self, uniqueid: str, path: str, *, caller: str | None, at: datetime | None = None
    ) -> int:
        """Index a recording that has just started (idempotent by path)."""
        async with self._db.session() as session:
            existing = await session.scalar(select(Recording).where(Recording.path == path))
            if existing is not None:
                return existing.id
            call_id = await session.scalar(select(Call.id).where(Call.uniqueid == uniqueid))
            row = Recording(
                call_id=call_id,
                uniqueid=uniqueid,
                path=path,
                caller=caller,
                started_at=as_utc(at) if at else utc_now(),
            )
            session.add(row)
            await session.flush()
            return row.id

    async def for_uniqueid(self, uniqueid: str) -> list[RecordingRecord]:
        async with self._db.session() as session:
            rows = await session.scalars(
                select(Recording).where(Recording.uniqueid == uniqueid).order_by(Recording.id)
            )
            return [_recording(r) for r in rows]

    async def update(self, recording_id: int, **values: Any) -> None:
        async with self._db.session() as session:
            await session.execute(
                update(Recording).where(Recording.id == recording_id).values(**values)
            )

    async def find(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        call_id: str | None = None,
        include_purged: bool = False,
        caller: str | None = None,
        account: str | None = None,
        operator: str | None = None,
        recording_id: int | None = None,
        limit: int | None = None,
    ) -> list[RecordingRecord]:
        """Oldest first; ``caller`` matches the end of the number (people type the last
        digits), ``account`` and ``operator`` exactly."""
        query = select(Recording).order_by(Recording.started_at, Recording.id)
        if caller:
            query = query.where(Recording.caller.endswith(caller, autoescape=True))
        if account:
            query = query.where(Recording.account == account)
        if operator:
            query = query.where(Recording.operator == operator)
        if recording_id is not None:
            query = query.where(Recording.id == recording_id)
        if limit is not None:
            query = query.limit(limit)
        if start is not None:
            query = query.where(Recording.started_at >= as_utc(start))
        if end is not None:
            query = query.where(Recording.started_at < as_utc(end))
        if call_id is not None:
            query = query.where(Recording.call_id == call_id)
        if not include_purged:
            query = query.where(Recording.purged_at.is_(None))
        async with self._db.session() as session:
            return [_recording(r) for r in await session.scalars(query)]

    async def audit(
        self,
        action: str,
        by: str,
        recording_ids: list[int] | None,
        detail: dict[str, Any] | None = None,
        channel: str = "cli",
    ) -> None:
        """One audit row per recording touched (one row with no id when none was), and one
        entry in the console's append-only audit log (``audit_log``)."""
        at = utc_now()
        async with self._db.session() as session:
            ids_text = ",".join(str(i) for i in recording_ids or [])
            session.add(
                AuditEntry(
                    at=at,
                    actor=by,
                    channel=channel,
                    action=f"recordings.{action}",
                    target=(f"recordings:{ids_text}"[:255] if ids_text else None),
                    detail={**(detail or {}), "count": len(recording_ids or [])},
                )
            )
            ids: list[int | None] = list(recording_ids or []) or [None]
            for rid in ids:
                session.add(
                    RecordingAccess(at=at, recording_id=rid, action=action, by=by, detail=detail)
                )

    async def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        query = select(RecordingAccess).order_by(RecordingAccess.id.desc()).limit(limit)
        async with self._db.session() as session:
            return [
                {
                    "at": r.at.isoformat(),
                    "recording_id": r.recording_id,
                    "action": r.action,
                    "by": r.by,
                    "detail": r.detail,
                }
                for r in await session.scalars(query)
            ]
