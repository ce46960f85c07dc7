"""Transfers of a caller by an operator (issue 17 item 4; R-030, R-041): to another
department's queue, a named specialist or an outside number, with the reason, and when the
receiving side answered (the 40-second rule for connection to a specialist)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.models.base import Base, str_enum
from hotline.store.types import UtcDateTime


class TransferKind(StrEnum):
    BLIND = "blind"  # the caller goes on at once (AMI Redirect)
    ATTENDED = "attended"  # the operator talks to the specialist first (AMI Atxfer)


class TransferTarget(StrEnum):
    QUEUE = "queue"  # another department's queue (queue.departments)
    OPERATOR = "operator"  # a named specialist (an operator's phone)
    NUMBER = "number"  # an outside number, over the trunk


class CallTransfer(Base):
    """One transfer; append-only but for the answer, filled in when the receiving side picks
    up (an AgentConnect or DialEnd of the caller's channel)."""

    __tablename__ = "call_transfers"
    __table_args__ = (Index("ix_call_transfers_uniqueid", "uniqueid"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # The call-log id and the caller's channel uniqueid (kept through the transfer).
    call_id: Mapped[str | None] = mapped_column(String(64))
    uniqueid: Mapped[str] = mapped_column(String(64))
    # The operator who transferred.
    operator: Mapped[str] = mapped_column(String(128))
    kind: Mapped[TransferKind] = mapped_column(str_enum(TransferKind))
    target_kind: Mapped[TransferTarget] = mapped_column(str_enum(TransferTarget))
    # A department id, an operator's name or an E.164 number.
    target: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(200))
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answered_by: Mapped[str | None] = mapped_column(String(128))
