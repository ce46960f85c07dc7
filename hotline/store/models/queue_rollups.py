"""The queue report's roll-ups (issue 19 item 3): one row per queued call, kept per 15-minute
bucket of the call's start by the roll-up job (``hotline.store.queue_rollups``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.models.base import Base
from hotline.store.types import UtcDateTime


class QueueRollup(Base):
    """A finished queued call's figures of the queue report (``queue_queries.QueuedRow`` and
    the call's outcome), over all its queue events (``scope`` "") and over its events in each
    queue it has events in (``scope`` the queue: a department's report)."""

    __tablename__ = "queue_rollups"
    __table_args__ = (
        Index("ix_queue_rollups_scope_bucket", "scope", "bucket"),
        # Covering the summed KPIs (``queue_sums``) and their dispositions' join (migration
        # 0039): the report's filters first, then every column they read.
        Index(
            "ix_queue_rollups_sums",
            "scope",
            "exact",
            "bucket",
            "simulated",
            "queued_at",
            "joined_at",
            "connect_at",
            "wait_us",
            "answer_target",
            "callback",
            "talk",
            "readings",
            "personal",
            "outcome",
            "ended",
            "uniqueid",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    bucket: Mapped[int] = mapped_column(Integer)  # of the call's start: UTC epoch s // 900
    scope: Mapped[str] = mapped_column(String(128))  # "" all queues, else the queue
    call_id: Mapped[str] = mapped_column(String(32))
    uniqueid: Mapped[str] = mapped_column(String(64))
    simulated: Mapped[bool] = mapped_column()
    # False: the call joined a queue before it started (clocks apart); the report reads such
    # a call from its events, and this row carries nothing else.
    exact: Mapped[bool] = mapped_column()
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime())  # its first join, any queue
    joined_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # first join in scope
    first_key: Mapped[str] = mapped_column(String(64))  # its first event's (at, id) key
    connect_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    member: Mapped[str | None] = mapped_column(Text)
    talk: Mapped[int | None] = mapped_column(Integer)
    callback: Mapped[bool] = mapped_column()
    last_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answer_target: Mapped[int | None] = mapped_column(BigInteger)
    # From the first join in scope to the connect, or to the last event: whole microseconds
    # (the KPIs sum it in SQL); None when the call never joined in scope or is not exact.
    wait_us: Mapped[int | None] = mapped_column(BigInteger)
    readings: Mapped[bool] = mapped_column()
    personal: Mapped[bool] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(32))
    ended: Mapped[bool] = mapped_column()


class QueueRollupRing(Base):
    """Unanswered rings of one operator on one rolled call (R-031), per scope as above."""

    __tablename__ = "queue_rollup_rings"
    __table_args__ = (Index("ix_queue_rollup_rings_scope_bucket", "scope", "bucket"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    bucket: Mapped[int] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(128))
    simulated: Mapped[bool] = mapped_column()
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    member: Mapped[str] = mapped_column(Text)
    n: Mapped[int] = mapped_column(BigInteger)


class QueueRollupBucket(Base):
    """A bucket the queue roll-up job has rolled (none of its rows when no call queued)."""

    __tablename__ = "queue_rollup_buckets"

    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rolled_at: Mapped[datetime] = mapped_column(UtcDateTime())


class QueueRollupMark(Base):
    """A bucket whose calls, call events or queue events were written after it may have been
    rolled (triggers of migration 0035, in the writer's transaction, for calls started over
    15 minutes before); ``n`` counts the writes, so the job clears only what it saw."""

    __tablename__ = "queue_rollup_marks"

    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)
