"""The operator queue's event log (join, connect, complete, abandon...), written from AMI
queue events.  Every method is its own unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from hotline.store import notify
from hotline.store.db import Database
from hotline.store.enums import QueueEventKind
from hotline.store.models import QueueEvent
from hotline.store.types import as_utc


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


def _queue_event(r: QueueEvent) -> QueueEventRecord:
    return QueueEventRecord(
        r.at, r.kind, r.uniqueid, r.queue, r.member, r.position, r.wait, r.talk, r.detail
    )


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
