"""Webhooks (issue 22 item 4, R-148): the durable outbox.  An event row is written in the
transaction of what it reports; the delivery worker fans each event out to the endpoints
that want its kind (one delivery row per endpoint) and posts them in order."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.models.base import Base, str_enum
from hotline.store.types import UtcDateTime


class WebhookDeliveryStatus(StrEnum):
    PENDING = "pending"  # not yet accepted by the receiver (maybe waiting for a retry)
    DELIVERED = "delivered"  # the receiver answered 2xx
    DEAD = "dead"  # given up after the attempts or the age allowed: the dead-letter list


class WebhookEventRow(Base):
    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_fanned", "fanned_out", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # The payload's id (a receiver drops repeats by it).
    event_id: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The JSON body exactly as it is sent (personal data: never logged).
    body: Mapped[str] = mapped_column(Text)
    # Set once the worker has made this event's delivery rows.
    fanned_out: Mapped[bool] = mapped_column(Boolean, default=False)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint", "event_id"),
        Index("ix_webhook_deliveries_head", "endpoint", "status", "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    endpoint: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"))
    status: Mapped[WebhookDeliveryStatus] = mapped_column(str_enum(WebhookDeliveryStatus))
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    dead_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
