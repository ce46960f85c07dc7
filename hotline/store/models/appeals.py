"""The appeal register (issue 16): appeals with a number unique per year, their status history
and the calls and recordings they came from (R-113-R-123, R-149)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.enums import AppealChannel, AppealLinkKind, AppealStatus, ReplyChannel
from hotline.store.models.base import Base, str_enum
from hotline.store.types import UtcDateTime


class AppealCounter(Base):
    """The last number given in a year: one atomic upsert allocates the next."""

    __tablename__ = "appeal_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class Appeal(Base):
    __tablename__ = "appeals"
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_appeals_year_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)  # "2026-004217"
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    channel: Mapped[AppealChannel] = mapped_column(str_enum(AppealChannel), index=True)
    status: Mapped[AppealStatus] = mapped_column(str_enum(AppealStatus), index=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    topic: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(32), index=True)
    # The customer (personal data: shown only to roles that need it, R-139).
    account: Mapped[str | None] = mapped_column(String(64), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    reply_channel: Mapped[ReplyChannel] = mapped_column(str_enum(ReplyChannel))
    reply_address: Mapped[str | None] = mapped_column(String(300))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    registered_by: Mapped[str] = mapped_column(String(64))
    deadline: Mapped[date] = mapped_column(Date, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    close_reason: Mapped[str | None] = mapped_column(String(64))


class AppealEvent(Base):
    """One step of an appeal's history (every status it went through, who, why)."""

    __tablename__ = "appeal_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    appeal_id: Mapped[int] = mapped_column(
        ForeignKey("appeals.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[AppealStatus] = mapped_column(str_enum(AppealStatus))
    by: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")


class AppealLink(Base):
    """A call or a recording the appeal came from."""

    __tablename__ = "appeal_links"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    appeal_id: Mapped[int] = mapped_column(
        ForeignKey("appeals.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[AppealLinkKind] = mapped_column(str_enum(AppealLinkKind))
    ref: Mapped[str] = mapped_column(String(1024))
