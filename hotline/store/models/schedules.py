"""Campaigns that repeat monthly (issue 22 item 5): the schedules (campaign templates with an
account filter) and one row per schedule and month that the scheduler built, whose unique
key makes each month's campaign exist once whatever the number of workers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.models.base import ENUM_LENGTH, Base, JsonDocument
from hotline.store.types import UtcDateTime


class CampaignSchedule(Base):
    """A campaign template built monthly from the accounts table (dialer.schedule)."""

    __tablename__ = "campaign_schedules"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    scenario: Mapped[str] = mapped_column(String(128))
    # None: the scenario's latest version when the month's campaign is built.
    scenario_version: Mapped[int | None]
    day_of_month: Mapped[int]
    # dialer.schedule.AccountFilter and dialer.model.CampaignRules as JSON.
    account_filter: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    rules: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    # The month's campaign ends this many days after it is built; None: when it is done.
    run_days: Mapped[int | None]
    # The supervisor who set it up: approves each month's campaign.
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CampaignScheduleRun(Base):
    """A schedule's build for one month (``period`` "YYYY-MM"): claimed by inserting the row,
    so a second worker's insert fails on the unique key and builds nothing."""

    __tablename__ = "campaign_schedule_runs"
    __table_args__ = (UniqueConstraint("schedule_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_schedules.id", ondelete="CASCADE")
    )
    period: Mapped[str] = mapped_column(String(7))
    day: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    campaign: Mapped[str | None] = mapped_column(String(128))
    # Counts, bad rows and the refusal, as the CLI and the console show them.
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
