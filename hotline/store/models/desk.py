"""The operator's desk (issue 17): the disposition an operator picked after a call, when the
customer card reached their browser, and their pauses (after-call work included)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.models.base import Base
from hotline.store.types import UtcDateTime


class CallDisposition(Base):
    """The call's type and result as the operator classified it (R-033, R-038, R-040); one per
    call and operator, the latest pick wins."""

    __tablename__ = "call_dispositions"
    __table_args__ = (UniqueConstraint("uniqueid", "operator"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # The caller's channel uniqueid (the queue events' key).
    uniqueid: Mapped[str] = mapped_column(String(64))
    operator: Mapped[str] = mapped_column(String(64))
    call_type: Mapped[str] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class CardView(Base):
    """When the customer card of a call was first shown in the operator's browser (R-035)."""

    __tablename__ = "card_views"
    __table_args__ = (UniqueConstraint("uniqueid", "operator"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    uniqueid: Mapped[str] = mapped_column(String(64))
    operator: Mapped[str] = mapped_column(String(64))
    connected_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    shown_at: Mapped[datetime] = mapped_column(UtcDateTime())
    seconds: Mapped[float] = mapped_column(Float)


class OperatorPause(Base):
    """One pause of an operator with its reason (after-call work is one, R-037); open while
    ``ended_at`` is None."""

    __tablename__ = "operator_pauses"
    __table_args__ = (Index("ix_operator_pauses_operator_started_at", "operator", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    operator: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When after-call work ends by itself, None for other pauses.
    until: Mapped[datetime | None] = mapped_column(UtcDateTime())
