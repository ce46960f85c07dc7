"""SMS (R-091, R-092): the durable outbox of messages sent through Kannel, each with its
history (queued, tries, Kannel's answers, delivery reports)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.models.base import Base, str_enum
from hotline.store.types import UtcDateTime


class SmsStatus(StrEnum):
    QUEUED = "queued"  # stored, not yet accepted by Kannel (or waiting to be tried again)
    SENT = "sent"  # Kannel accepted it (and the SMSC, once its report came)
    DELIVERED = "delivered"  # the delivery report says the phone has it
    FAILED = "failed"  # refused, undeliverable, or given up after sms.give_up_after


class SmsEventKind(StrEnum):
    QUEUED = "queued"
    SENT = "sent"  # Kannel's answer to sendsms
    RETRY = "retry"  # Kannel unreachable or refused for now; the error and the next try
    DLR = "dlr"  # a delivery report (its Kannel type and the SMSC's answer)
    FAILED = "failed"


class SmsMessage(Base):
    __tablename__ = "sms_messages"
    __table_args__ = (Index("ix_sms_messages_due", "status", "next_try_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    text: Mapped[str] = mapped_column(Text)
    # gsm7 | ucs2, and the parts it takes.
    encoding: Mapped[str] = mapped_column(String(8))
    parts: Mapped[int] = mapped_column(Integer)
    status: Mapped[SmsStatus] = mapped_column(str_enum(SmsStatus))
    # Who asked for it: cli, campaign, appeal...; and its reference there.
    source: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str | None] = mapped_column(String(64), index=True)
    # Random; only a delivery report that carries it is accepted.
    token: Mapped[str] = mapped_column(String(64))
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SmsEvent(Base):
    __tablename__ = "sms_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("sms_messages.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[SmsEventKind] = mapped_column(str_enum(SmsEventKind))
    # Kannel's delivery report type (1, 2, 4, 8, 16) for kind dlr.
    dlr_type: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(String(500))
