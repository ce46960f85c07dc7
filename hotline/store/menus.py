"""Published IVR menu versions (``menu_versions``): publish, history, rollback.

The table is append-only: the newest row (highest id) is the active version.  A rollback
publishes an earlier version's content again as a new version (``rollback_of`` names the
earlier one), so the history shows every switch with its author and time, and the engine
only ever has to watch the newest id.  Menus are checked against the service standard
before they get here (``hotline menu publish`` and ``rollback`` validate first); this module
only parses them, for the diff summary.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import select

from hotline.store.db import Database
from hotline.store.models import MenuVersion
from ivr.menu_diff import summarize_diff
from ivr.menu_model import Menu, MenuError, parse_menu

AUTHOR_MAX: Final = 64
SOURCE_MAX: Final = 1024


class MenuUnchanged(ValueError):
    """The content is the active version already."""


class UnknownVersion(LookupError):
    pass


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

    def menu(self) -> Menu:
        """The menu parsed (structure only; MenuError when it no longer parses)."""
        return parse_menu(self.content, f"menu version {self.version} ({self.source})")


def content_sha256(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


class MenuVersions:
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

    async def publish(
        self, content: str, source: str, author: str, *, rollback_of: int | None = None
    ) -> MenuVersionRecord:
        """Store ``content`` as the new active version.  MenuError when it does not parse,
        MenuUnchanged when it is the active version already."""
        if len(author) > AUTHOR_MAX:
            raise ValueError(f"author {author!r} is longer than {AUTHOR_MAX} characters")
        source = source[-SOURCE_MAX:]
        menu = parse_menu(content, source)
        digest = content_sha256(content)
        current = await self.active()
        if current is not None and current.sha256 == digest:
            raise MenuUnchanged(f"this menu is the active version {current.version} already")
        old: Menu | None = None
        if current is not None:
            try:
                old = current.menu()
            except MenuError:
                old = None
        summary = summarize_diff(old, menu)
        if rollback_of is not None:
            summary = f"rollback to version {rollback_of}: {summary}"
        row = MenuVersion(
            name=menu.name[:128],
            content=content,
            sha256=digest,
            author=author,
            published_at=datetime.now(UTC),
            summary=summary,
            source=source,
            rollback_of=rollback_of,
        )
        async with self._db.session() as session:
            session.add(row)
            await session.flush()
            return _record(row)

    async def rollback(self, version: int, author: str) -> MenuVersionRecord:
        """Make ``version``'s content active again, as a new version."""
        earlier = await self.get(version)
        if earlier is None:
            raise UnknownVersion(f"no menu version {version}")
        return await self.publish(earlier.content, earlier.source, author, rollback_of=version)


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
