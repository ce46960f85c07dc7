"""The console menu editor's draft (``menu_drafts``): one shared draft with its last author.

One draft rather than one per supervisor: there is one active menu, so two private drafts
would only diverge and the second publish would silently undo the first; a shared draft shows
everyone the change in progress and who made it last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from hotline.core.clock import utc_now
from hotline.store.db import Database
from hotline.store.menus import AUTHOR_MAX
from hotline.store.models import MenuDraft

DRAFT_ID: Final = 1
# A menu file is a few kilobytes; this bounds what the editor stores.
CONTENT_MAX: Final = 200_000


@dataclass(frozen=True)
class DraftRecord:
    content: str
    author: str
    updated_at: datetime


class MenuDraftStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self) -> DraftRecord | None:
        async with self._db.session() as session:
            row = await session.get(MenuDraft, DRAFT_ID)
            if row is None:
                return None
            return DraftRecord(row.content, row.author, row.updated_at)

    async def save(self, content: str, author: str) -> DraftRecord:
        if len(content) > CONTENT_MAX:
            raise ValueError(f"the draft is longer than {CONTENT_MAX} characters")
        if len(author) > AUTHOR_MAX:
            raise ValueError(f"author {author!r} is longer than {AUTHOR_MAX} characters")
        now = utc_now()
        async with self._db.session() as session:
            row = await session.get(MenuDraft, DRAFT_ID)
            if row is None:
                session.add(MenuDraft(id=DRAFT_ID, content=content, author=author, updated_at=now))
            else:
                row.content, row.author, row.updated_at = content, author, now
        return DraftRecord(content, author, now)

    async def clear(self) -> None:
        async with self._db.session() as session:
            row = await session.get(MenuDraft, DRAFT_ID)
            if row is not None:
                await session.delete(row)
