"""Published IVR menu versions (``menu_versions``): publish, history, rollback.

The table is append-only: the newest row (highest id) is the active version.  A rollback
publishes an earlier version's content again as a new version (``rollback_of`` names the
earlier one), so the history shows every switch with its author and time, and the engine
only ever has to watch the newest id.  This module only stores rows: parsing a menu and
summarising what changed is the IVR's business (:mod:`ivr.menu.versions`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select

from hotline.core.clock import utc_now
from hotline.store.db import Database
from hotline.store.models import MenuVersion

AUTHOR_MAX: Final = 64
SOURCE_MAX: Final = 1024


@dataclass(frozen=True)
class MenuVersionRecord:
    version: int
    name: str
    content: str
    sha256: str
    author: str
    published_at: datetime
    summary: str
    source: str
    rollback_of: int | None


def content_sha256(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


class MenuVersionStore:
    """The version table; every method is its own unit of work."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def active(self) -> MenuVersionRecord | None:
        query = select(MenuVersion).order_by(MenuVersion.id.desc()).limit(1)
        async with self._db.session() as session:
            row = (await session.scalars(query)).first()
            return _record(row) if row is not None else None

    async def active_version(self) -> int | None:
        """Just the active version number (the engine's cheap poll)."""
        query = select(MenuVersion.id).order_by(MenuVersion.id.desc()).limit(1)
        async with self._db.session() as session:
            return (await session.scalars(query)).first()

    async def history(self, limit: int = 20) -> list[MenuVersionRecord]:
        """The newest ``limit`` versions, newest first."""
        query = select(MenuVersion).order_by(MenuVersion.id.desc()).limit(limit)
        async with self._db.session() as session:
            return [_record(row) for row in await session.scalars(query)]

    async def get(self, version: int) -> MenuVersionRecord | None:
        async with self._db.session() as session:
            row = await session.get(MenuVersion, version)
            return _record(row) if row is not None else None

    async def append(
        self,
        *,
        name: str,
        content: str,
        author: str,
        summary: str,
        source: str,
        rollback_of: int | None = None,
    ) -> MenuVersionRecord:
        """Store ``content`` as the new active version (the caller has parsed and diffed it)."""
        if len(author) > AUTHOR_MAX:
            raise ValueError(f"author {author!r} is longer than {AUTHOR_MAX} characters")
        row = MenuVersion(
            name=name[:128],
            content=content,
            sha256=content_sha256(content),
            author=author,
            published_at=utc_now(),
            summary=summary,
            source=source[-SOURCE_MAX:],
            rollback_of=rollback_of,
        )
        async with self._db.session() as session:
            session.add(row)
            await session.flush()
            return _record(row)


def _record(row: MenuVersion) -> MenuVersionRecord:
    return MenuVersionRecord(
        row.id,
        row.name,
        row.content,
        row.sha256,
        row.author,
        row.published_at,
        row.summary,
        row.source,
        row.rollback_of,
    )
