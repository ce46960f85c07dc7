"""The campaign report's roll-ups (issue 19 item 3): dial attempts counted per campaign,
15-minute bucket of their creation, attempt number, status and reason
(``hotline.store.attempt_rollups``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.models.base import Base
from hotline.store.types import UtcDateTime


class AttemptRollup(Base):
    """How many attempts of one campaign created in one bucket have this number, status,
    reason and result: ``dial_attempts`` grouped as the report's per-attempt sheet groups
    them, and by result for its hourly chart."""

    __tablename__ = "attempt_rollups"
    __table_args__ = (Index("ix_attempt_rollups_campaign", "campaign_id", "bucket"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    bucket: Mapped[int] = mapped_column(Integer)  # UTC epoch seconds // 900 of created_at
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(32))
    result: Mapped[str | None] = mapped_column(String(32))  # for the hourly chart
    count: Mapped[int] = mapped_column(BigInteger)


class AttemptRollupBucket(Base):
    """A bucket the job has rolled (its counts are in ``attempt_rollups``; none when no
    attempt was created in it)."""

    __tablename__ = "attempt_rollup_buckets"

    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rolled_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AttemptRollupMark(Base):
    """A bucket whose attempts were written after it may have been rolled: stale until the job
    rolls it again.  Written by triggers on ``dial_attempts`` in the writer's own transaction
    (migration 0041), for attempts created more than 15 minutes before; ``n`` counts the
    writes, so the job clears only what it saw."""

    __tablename__ = "attempt_rollup_marks"

    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)
