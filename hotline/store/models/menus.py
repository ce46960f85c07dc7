"""Published IVR menu versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.models.base import Base
from hotline.store.types import UtcDateTime


class MenuVersion(Base):
    """A published IVR menu, one row per publish; append-only.  The newest row (highest id)
    is the active version; a rollback publishes an earlier version's content again as a new
    row (``rollback_of`` names it), so the history records every switch."""

    __tablename__ = "menu_versions"

    # The version number, 1, 2, ...
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    # The menu YAML as published, byte for byte.
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # What changed against the version active before (ivr.menu.diff.summarize_diff).
    summary: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(1024))
    rollback_of: Mapped[int | None]


class MenuDraft(Base):
    """The menu being edited in the console (issue 23): one shared draft, with who changed it
    last and when.  One row (``id`` 1); publishing copies its content into ``menu_versions``."""

    __tablename__ = "menu_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The draft's menu YAML, as the editor last wrote it (it may break the rules).
    content: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
