"""The menu editor's operations (the console's ``/menus``): the shared draft, its check by the
same validator as ``hotline menu validate``, publishing it and rolling back, both refused when
the menu breaks a rule and both audited (:mod:`ivr.menu.versions`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hotline.settings import Settings
from hotline.speech.catalogue import CatalogueError
from hotline.speech.library import PromptLibrary
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.menu_drafts import DraftRecord, MenuDraftStore
from hotline.store.menus import MenuVersionRecord
from ivr.menu import draft as edits
from ivr.menu.live import DRAFT_SOURCE
from ivr.menu.model import Menu
from ivr.menu.standard import validate_text
from ivr.menu.structure import MenuError, Violation
from ivr.menu.versions import MenuVersions, UnknownVersion


@dataclass(frozen=True)
class Checked:
    """A menu text and what the validator says about it."""

    content: str
    menu: Menu | None  # None when it breaks a rule
    violations: tuple[Violation, ...] = ()
    by_node: dict[str, list[Violation]] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.menu is not None


class MenuRefused(ValueError):
    """Not published: the menu breaks the rules (``checked`` says which)."""

    def __init__(self, checked: Checked) -> None:
        self.checked = checked
        super().__init__(f"{len(checked.violations)} violation(s)")


async def check(text: str, source: str, settings: Settings, library: PromptLibrary) -> Checked:
    """Validate ``text`` as ``hotline menu validate`` does (structure, the service standard
    measured on the rendered audio of the configured voice)."""
    try:
        menu = await validate_text(text, source, settings, library)
    except MenuError as exc:
        by_node: dict[str, list[Violation]] = {}
        for violation in exc.violations:
            by_node.setdefault(violation.node, []).append(violation)
        return Checked(text, None, exc.violations, by_node)
    except CatalogueError as exc:
        violation = Violation("", "catalogue", str(exc))
        return Checked(text, None, (violation,), {"": [violation]})
    return Checked(text, menu)


class MenuEditor:
    def __init__(self, db: Database, settings: Settings, library: PromptLibrary) -> None:
        self._drafts = MenuDraftStore(db)
        self.versions = MenuVersions(db)
        self._settings = settings
        self._library = library

    async def published_content(self) -> str:
        """The active version's text, else the menu file's."""
        active = await self.versions.active()
        if active is not None:
            return active.content
        path = self._settings.ivr.menu_file
        return await asyncio.to_thread(path.read_text, encoding="utf-8")

    async def draft(self) -> DraftRecord | None:
        return await self._drafts.get()

    async def draft_content(self) -> str:
        """The stored draft, else (nobody is editing) the published menu."""
        stored = await self._drafts.get()
        return stored.content if stored is not None else await self.published_content()

    async def check(self, text: str, source: str = DRAFT_SOURCE) -> Checked:
        return await check(text, source, self._settings, self._library)

    async def edit(self, change: edits.Change, who: Actor) -> DraftRecord:
        """Apply ``change`` to the draft's data and store it (DraftError: nothing stored)."""
        data = edits.load(await self.draft_content())
        change(data)
        return await self._drafts.save(edits.dump(data), who.name)

    async def save_text(self, text: str, who: Actor) -> DraftRecord:
        """The draft as typed in the text view (it must at least be a menu file's YAML)."""
        edits.load(text)
        return await self._drafts.save(text, who.name)

    async def discard(self) -> None:
        await self._drafts.clear()

    async def publish(self, who: Actor) -> MenuVersionRecord:
        """Publish the draft: refused (MenuRefused) when it breaks a rule; MenuUnchanged when
        it is the active version already.  The draft is then the published menu."""
        checked = await self.check(await self.draft_content())
        if not checked.valid:
            raise MenuRefused(checked)
        record = await self.versions.publish(checked.content, DRAFT_SOURCE, who.name, actor=who)
        await self._drafts.clear()
        return record

    async def rollback(self, version: int, who: Actor) -> MenuVersionRecord:
        """Make ``version`` active again, checked first (prompts or limits may have changed)."""
        earlier = await self.versions.get(version)
        if earlier is None:
            raise UnknownVersion(f"no menu version {version}")
        checked = await self.check(earlier.content, f"menu version {version}")
        if not checked.valid:
            raise MenuRefused(checked)
        record = await self.versions.rollback(version, who.name, actor=who)
        await self._drafts.clear()
        return record
