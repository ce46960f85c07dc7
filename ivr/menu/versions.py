"""Publishing IVR menu versions: parse, summarise the change, then store.

``hotline menu publish`` and ``rollback`` check the menu against the service standard
before they get here; this module only parses it, for the name and the diff summary, and
refuses content that is already the active version.
"""

from __future__ import annotations

from typing import Final

from hotline.core.errors import NotFound
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database
from hotline.store.menus import MenuVersionRecord, MenuVersionStore, content_sha256
from ivr.menu.diff import summarize_diff
from ivr.menu.loader import parse_menu
from ivr.menu.model import Menu
from ivr.menu.structure import MenuError

AUDIT_PUBLISH: Final = "menu.publish"
AUDIT_ROLLBACK: Final = "menu.rollback"


class MenuUnchanged(ValueError):
    """The content is the active version already."""


class UnknownVersion(NotFound):
    pass


def parse_version(record: MenuVersionRecord) -> Menu:
    """The version's menu (structure only; MenuError when it no longer parses)."""
    return parse_menu(record.content, f"menu version {record.version} ({record.source})")


class MenuVersions:
    """Published versions: the store's table plus the rules of publishing."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._store = MenuVersionStore(db)

    async def active(self) -> MenuVersionRecord | None:
        return await self._store.active()

    async def active_version(self) -> int | None:
        return await self._store.active_version()

    async def history(self, limit: int = 20) -> list[MenuVersionRecord]:
        return await self._store.history(limit)

    async def get(self, version: int) -> MenuVersionRecord | None:
        return await self._store.get(version)

    async def publish(
        self,
        content: str,
        source: str,
        author: str,
        *,
        rollback_of: int | None = None,
        actor: Actor | None = None,
    ) -> MenuVersionRecord:
        """Store ``content`` as the new active version, audited as ``actor`` (default: the
        author at the command line).  MenuError when it does not parse, MenuUnchanged when it
        is the active version already."""
        menu = parse_menu(content, source)
        current = await self._store.active()
        if current is not None and current.sha256 == content_sha256(content):
            raise MenuUnchanged(f"this menu is the active version {current.version} already")
        old: Menu | None = None
        if current is not None:
            try:
                old = parse_version(current)
            except MenuError:
                old = None
        summary = summarize_diff(old, menu)
        if rollback_of is not None:
            summary = f"rollback to version {rollback_of}: {summary}"
        record = await self._store.append(
            name=menu.name,
            content=content,
            author=author,
            summary=summary,
            source=source,
            rollback_of=rollback_of,
        )
        await AuditLog(self._db).write(
            actor or Actor(author, "cli"),
            AUDIT_PUBLISH if rollback_of is None else AUDIT_ROLLBACK,
            target=f"menu version {record.version}",
            detail={"summary": summary, "rollback_of": rollback_of, "sha256": record.sha256},
        )
        return record

    async def rollback(
        self, version: int, author: str, *, actor: Actor | None = None
    ) -> MenuVersionRecord:
        """Make ``version``'s content active again, as a new version."""
        earlier = await self._store.get(version)
        if earlier is None:
            raise UnknownVersion(f"no menu version {version}")
        return await self.publish(
            earlier.content, earlier.source, author, rollback_of=version, actor=actor
        )
