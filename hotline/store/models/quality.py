"""Voice quality of a call (issue 17 item 8; R-135): the RTP statistics Asterisk reports at
the end of a SIP call, and whether they pass the thresholds of R-132 and R-133."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.dialplan.names import QualityLeg
from hotline.store.models.base import Base, str_enum
from hotline.store.types import UtcDateTime


class CallQuality(Base):
    __tablename__ = "call_quality"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # The channel's uniqueid (the call log's row for an inbound call).
    uniqueid: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str | None] = mapped_column(String(128))
    # Which leg of the call (R-135: every SIP leg is measured), and the call's uniqueid (the
    # leg's linkedid: the caller's channel, or the campaign call's).
    leg: Mapped[QualityLeg] = mapped_column(str_enum(QualityLeg), default=QualityLeg.CALLER)
    call_uniqueid: Mapped[str] = mapped_column(String(64), index=True)
    rx_packets: Mapped[int] = mapped_column(Integer)
    tx_packets: Mapped[int] = mapped_column(Integer)
    lost: Mapped[int] = mapped_column(Integer)  # we did not receive
    remote_lost: Mapped[int] = mapped_column(Integer)  # the far end reported lost
    loss: Mapped[float] = mapped_column(Float)  # the worse direction's share
    jitter_ms: Mapped[float] = mapped_column(Float)  # the worse direction's
    rtt_ms: Mapped[float] = mapped_column(Float)
    flagged: Mapped[bool] = mapped_column(Boolean, index=True)
    # The thresholds passed, comma-separated QualityProblem values.
    problems: Mapped[str] = mapped_column(String(64))
