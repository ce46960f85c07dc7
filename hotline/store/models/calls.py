"""The call log: one row per call and its events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.store.enums import CallDirection, CallOutcome
from hotline.store.models.base import Base, JsonDocument, str_enum
from hotline.store.types import UtcDateTime


class Call(Base):
    """One call through the engine, inbound or outbound; the anchor for everything per call."""

    __tablename__ = "calls"
    # The period's totals of the queue report read this index alone (migration 0039).
    __table_args__ = (
        Index(
            "ix_calls_started_totals",
            "started_at",
            "direction",
            "simulated",
            "outcome",
            "ended_at",
        ),
    )

    # Our call id: uuid4 hex, handed to the dialplan as HOTLINE_CALL_ID.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    direction: Mapped[CallDirection] = mapped_column(str_enum(CallDirection))
    # Asterisk's uniqueid of the first channel (outbound: our attempt id used as channel id).
    uniqueid: Mapped[str] = mapped_column(String(64), unique=True)
    linkedid: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(255))
    # Indexed: the IVR looks up whether a number called before at every call start.
    caller: Mapped[str | None] = mapped_column(String(128), index=True)
    callee: Mapped[str | None] = mapped_column(String(128))
    simulated: Mapped[bool] = mapped_column(default=False, server_default=false())
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[CallOutcome | None] = mapped_column(str_enum(CallOutcome))
    hangup_cause: Mapped[str | None] = mapped_column(String(255))
    operator_reason: Mapped[str | None] = mapped_column(String(255))
    # The cluster node whose Asterisk carries the call (issue 20); None on a single node.
    # Reconciliation closes only the open rows of the nodes a worker reads.
    node: Mapped[str | None] = mapped_column(String(32))

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


class IvrRollup(Base):
    """One figure of the IVR report over the calls started in one 15-minute bucket (issue 19):
    the rows of ``hotline.store.ivr_queries``' aggregate, kept per bucket by the roll-up job
    (``hotline.store.ivr_rollups``), apart for simulated calls."""

    __tablename__ = "ivr_rollups"
    __table_args__ = (Index("ix_ivr_rollups_bucket", "bucket"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    bucket: Mapped[int] = mapped_column(Integer)  # UTC epoch seconds // 900
    simulated: Mapped[bool] = mapped_column()  # these calls were simulated
    section: Mapped[str] = mapped_column(String(16))
    a: Mapped[str | None] = mapped_column(Text)
    b: Mapped[str | None] = mapped_column(Text)
    c: Mapped[str | None] = mapped_column(Text)
    count: Mapped[int] = mapped_column(BigInteger)
    seconds: Mapped[float] = mapped_column(Float)


class IvrRollupBucket(Base):
    """A bucket the roll-up job has rolled (its figures are in ``ivr_rollups``; none when it
    had no IVR calls)."""

    __tablename__ = "ivr_rollup_buckets"

    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rolled_at: Mapped[datetime] = mapped_column(UtcDateTime())


class IvrRollupMark(Base):
    """A bucket whose calls or call events were written after it may have been rolled: its
    roll-up rows are stale until the job rolls it again.  Written by triggers on ``calls`` and
    ``call_events`` in the writer's own transaction (migration 0031), for calls started more
    than 15 minutes before; ``n`` counts the writes, so the job clears only what it saw."""

    __tablename__ = "ivr_rollup_marks"

    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)
