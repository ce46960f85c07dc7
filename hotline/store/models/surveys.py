"""Answers to survey campaigns (issue 22 item 1; R-105-R-108)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.models.base import Base
from hotline.store.types import UtcDateTime


class SurveyAnswer(Base):
    """One callee's answer to one survey question on one call; append-only.  The phone
    (E.164) is kept for the frequency cap across every survey campaign (R-105)."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        Index("ix_survey_answers_phone_answered_at", "phone", "answered_at"),
        Index("ix_survey_answers_campaign_question", "campaign_id", "question"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    # The attempt's id (the call's uniqueid in the call log).
    attempt_id: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(String(32))
    answer: Mapped[int] = mapped_column(SmallInteger)
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime())
