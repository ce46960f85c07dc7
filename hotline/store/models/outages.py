"""Current outages (R-097, R-032): registered by the dispatcher or a supervisor with their
area, cause and expected restoration time; callers whose address is in the area hear them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.models.base import Base, JsonDocument
from hotline.store.types import UtcDateTime


class Outage(Base):
    """One outage; open while ``closed_at`` is NULL.  ``area``: ``{"places": [{"settlement":
    ..., "street": ... or null}], "accounts": [...]}`` as typed (matching normalises)."""

    __tablename__ = "outages"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    cause: Mapped[str] = mapped_column(Text)
    restore_at: Mapped[datetime] = mapped_column(UtcDateTime())
    area: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    opened_by: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    closed_by: Mapped[str | None] = mapped_column(String(64))
