"""The audit log: append and read, nothing else (the database refuses UPDATE and DELETE)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.clock import utc_now
from hotline.store.db import Database
from hotline.store.models import AuditEntry
from hotline.store.paging import PAGE_SIZE, keyset_pages


@dataclass(frozen=True)
class Actor:
    """Who acts and through what: a console user from a client address, or an OS user at
    the command line."""

    name: str
    channel: str  # "web" | "cli" | "engine"
    source: str | None = None


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str
    channel: str
    source: str | None
    action: str
    target: str | None
    detail: dict[str, Any] | None


class AuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def write(
        self,
        actor: Actor,
        action: str,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        async with self._db.session() as session:
            self.add(session, actor, action, target, detail, at)

    @staticmethod
    def add(
        session: AsyncSession,
        actor: Actor,
        action: str,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        """An entry within the caller's unit of work: it commits (or not) with the rows it
        accounts for."""
        session.add(
            AuditEntry(
                at=at or utc_now(),
                actor=actor.name,
                channel=actor.channel,
                source=actor.source,
                action=action,
                target=target,
                detail=detail,
            )
        )

    async def entries(
        self,
        *,
        since: datetime | None = None,
        actor: str | None = None,
        action: str | None = None,
        limit: int = 200,
    ) -> list[AuditRecord]:
        """The newest entries first."""
        query = _filtered(select(AuditEntry), since, actor, action)
        async with self._db.session() as session:
            rows = (await session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit))).all()
        return [_record(row) for row in rows]

    async def pages(
        self,
        *,
        since: datetime | None = None,
        actor: str | None = None,
        action: str | None = None,
        size: int = PAGE_SIZE,
    ) -> AsyncIterator[list[AuditRecord]]:
        """Every entry selected, oldest first, a keyset page at a time (the export: no cap)."""
        # Plain rows, not ORM objects: an export reads each once, and entities cost ~3x.
        query = _filtered(select(*AuditEntry.__table__.columns), since, actor, action)
        async for page in keyset_pages(self._db, query, (AuditEntry.id,), size):
            yield [_record(cast("AuditEntry", row)) for row in page]


def _filtered(
    query: Select[Any], since: datetime | None, actor: str | None, action: str | None
) -> Select[Any]:
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return query


def _record(row: AuditEntry) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        at=row.at,
        actor=row.actor,
        channel=row.channel,
        source=row.source,
        action=row.action,
        target=row.target,
        detail=row.detail,
    )
