"""The call log: one row per call and its events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.store.enums import CallDirection, CallOutcome
from hotline.store.models.base import Base, JsonDocument, str_enum
from hotline.store.types import UtcDateTime


class Call(Base):
    """One call through the engine, inbound or outbound; the anchor for everything per call."""

    __tablename__ = "calls"

    # Our call id: uuid4 hex, handed to the dialplan as HOTLINE_CALL_ID.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    direction: Mapped[CallDirection] = mapped_column(str_enum(CallDirection))
    # Asterisk's uniqueid of the first channel (outbound: our attempt id used as channel id).
    uniqueid: Mapped[str] = mapped_column(String(64), unique=True)
    linkedid: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(255))
    caller: Mapped[str | None] = mapped_column(String(128))
    callee: Mapped[str | None] = mapped_column(String(128))
    simulated: Mapped[bool] = mapped_column(default=False, server_default=false())
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[CallOutcome | None] = mapped_column(str_enum(CallOutcome))
    hangup_cause: Mapped[str | None] = mapped_column(String(255))
    operator_reason: Mapped[str | None] = mapped_column(String(255))

    # lazy="raise": under asyncio an implicit lazy load would be blocking I/O; load explicitly.
    events: Mapped[list[CallEvent]] = relationship(
        order_by="(CallEvent.at, CallEvent.id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
    )


class CallEvent(Base):
    """Something that happened during a call: a menu node entered, a prompt, digits, a note."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("calls.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
