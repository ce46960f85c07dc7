"""The operator queue's event log (join, connect, complete, abandon...), written from AMI
queue events.  Every method is its own unit of work."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select

from hotline.store import notify
from hotline.store.db import Database
from hotline.store.enums import QueueEventKind
from hotline.store.held_rows import HeldRows
from hotline.store.held_spool import HeldSpool
from hotline.store.models import QueueEvent
from hotline.store.types import as_utc

if TYPE_CHECKING:
    from hotline.settings import Settings

# The queue tracker's spool of events the store refused (issue 21).
SPOOL: Final = "queue-events"


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


def _to_json(event: QueueEventRecord) -> dict[str, Any]:
    return {**asdict(event), "at": event.at.isoformat(), "kind": event.kind.value}


def _from_json(row: dict[str, Any]) -> QueueEventRecord:
    at, kind = datetime.fromisoformat(row.pop("at")), QueueEventKind(row.pop("kind"))
    return QueueEventRecord(at=at, kind=kind, **row)


def _queue_event(r: QueueEvent) -> QueueEventRecord:
    return QueueEventRecord(
        r.at, r.kind, r.uniqueid, r.queue, r.member, r.position, r.wait, r.talk, r.detail
    )


class QueueEvents:
    def __init__(self, db: Database, spool: HeldSpool | None = None) -> None:
        """With a ``spool``, an event the store refuses is held (spooled) and written once it
        is back by :meth:`write_held_rows`, the queue tracker's task (issue 21)."""
        self._db = db
        self._held = HeldRows("queue event", spool, self._insert, _to_json, _from_json)

    @classmethod
    def from_settings(cls, db: Database, settings: Settings) -> QueueEvents:
        """The queue tracker's: refused events held and spooled (``held_writes``)."""
        return cls(db, HeldSpool.from_settings(settings, SPOOL))

    @property
    def held(self) -> int:
        """Events held for the store (0 without a spool)."""
        return self._held.held

    async def write_held_rows(self) -> None:
        """Write held events, and at start what an earlier run spooled; until cancelled."""
        await self._held.run()

    async def add(self, event: QueueEventRecord) -> None:
        await self._held.add(event)

    async def add_once(self, event: QueueEventRecord) -> None:
        """Write ``event`` unless it is there (a writer's held row replayed, issue 21)."""
        await self._insert(event, True)

    async def _insert(self, event: QueueEventRecord, again: bool) -> None:
        """One event; ``again``: written before, maybe (replayed): not if it is there."""
        async with self._db.session() as session:
            if again:
                found = await session.scalar(
                    select(QueueEvent.id).where(
                        QueueEvent.uniqueid == event.uniqueid,
                        QueueEvent.kind == event.kind,
                        QueueEvent.at == as_utc(event.at),
                    )
                )
                if found is not None:
                    return
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
            await notify.announce(
                session, notify.NotifyChannel.LIVE, notify.WakeReason.QUEUE_CHANGED
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
            return [_queue_event(r) for r in await session.scalars(query)]

    async def for_uniqueid(self, uniqueid: str) -> list[QueueEventRecord]:
        query = (
            select(QueueEvent)
            .where(QueueEvent.uniqueid == uniqueid)
            .order_by(QueueEvent.at, QueueEvent.id)
        )
        async with self._db.session() as session:
            return [_queue_event(r) for r in await session.scalars(query)]

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
