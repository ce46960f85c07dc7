"""Ratings of an operator call by keypad (issue 16 item 5; R-101, R-105, R-108)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.models.base import Base
from hotline.store.types import UtcDateTime


class RatingAnswer(Base):
    """One caller's 1-5 answer to «оцените разговор с оператором», with the call and the
    operator it rates; append-only.  The caller's number is kept for the frequency cap
    (R-105: one survey per customer in ``rating.min_interval_days``)."""

    __tablename__ = "rating_answers"
    __table_args__ = (
        Index("ix_rating_answers_caller_rated_at", "caller", "rated_at"),
        Index("ix_rating_answers_operator_rated_at", "operator", "rated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # The call's uniqueid (the call log's call id).
    call_id: Mapped[str] = mapped_column(String(64))
    caller: Mapped[str] = mapped_column(String(32))
    # The queue member's name (MEMBERNAME) who talked to the caller.
    operator: Mapped[str] = mapped_column(String(128))
    score: Mapped[int] = mapped_column(SmallInteger)
    rated_at: Mapped[datetime] = mapped_column(UtcDateTime())
