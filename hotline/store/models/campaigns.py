"""The campaign dialer (the autoinformer): DNC list, scenarios, contact lists, campaigns,
their targets and dial attempts, and the limits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.models.base import ENUM_LENGTH, Base, JsonDocument
from hotline.store.types import UtcDateTime


# --- Campaign dialer (the autoinformer) -------------------------------------------------------
class DncNumber(Base):
    """A number that must never be called by a campaign (do-not-call list)."""

    __tablename__ = "dnc_numbers"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)  # E.164
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())
    added_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")


class Scenario(Base):
    """One version of a campaign scenario; rows are never changed, an edit adds a version."""

    __tablename__ = "scenarios"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_scenarios_name_version"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    version: Mapped[int]
    kind: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    # The validated scenario (dialer.scenario.Scenario as JSON).
    content: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ContactList(Base):
    """One imported contact list (a re-import of the same name is a new version)."""

    __tablename__ = "contact_lists"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_contact_lists_name_version"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    version: Mapped[int]
    source: Mapped[str] = mapped_column(String(1024))
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Row-level import report: counts and skipped rows (duplicates, do-not-call).
    report: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("list_id", "phone", name="uq_contacts_list_phone"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(
        ForeignKey("contact_lists.id", ondelete="CASCADE"), index=True
    )
    row: Mapped[int]  # the source row number, for reports
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Optional link to an account (the readings issue); by number, no foreign key.
    account_number: Mapped[str | None] = mapped_column(String(32), index=True)
    # The channel the customer chose: "phone" or "email".
    channel: Mapped[str] = mapped_column(String(16), default="phone", server_default="phone")
    variables: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    state: Mapped[str] = mapped_column(String(ENUM_LENGTH), index=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"))
    list_id: Mapped[int | None] = mapped_column(ForeignKey("contact_lists.id"))
    # dialer.rules.CampaignRules as JSON; editable while running (pacing), re-read each tick.
    rules: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The scenario as it was when the run started: never changes afterwards.
    scenario_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)


class CampaignTarget(Base):
    """A contact of a started campaign: an immutable copy of its data, plus its progress."""

    __tablename__ = "campaign_targets"
    __table_args__ = (
        UniqueConstraint("campaign_id", "phone", name="uq_campaign_targets_campaign_phone"),
        Index("ix_campaign_targets_due", "campaign_id", "state", "next_attempt_at"),
        # The report's counts per state/result/reason read only this index (issue 19).
        Index("ix_campaign_targets_report", "campaign_id", "state", "result", "reason"),
        # A worker's claims, released every pass on PostgreSQL: only the few claimed rows
        # (the UPDATE scanned every contact of every campaign).
        Index(
            "ix_campaign_targets_claimed",
            "claimed_by",
            postgresql_where=text("claimed_by IS NOT NULL"),
            sqlite_where=text("claimed_by IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None]
    row: Mapped[int]
    phone: Mapped[str] = mapped_column(String(20))
    timezone: Mapped[str] = mapped_column(String(64))
    account_number: Mapped[str | None] = mapped_column(String(32))
    variables: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    deliver_by: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # pending | calling | done
    state: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    result: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))  # positive | negative
    reason: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Why the target waits (outside the window, a holiday, retry...), for `campaign why`.
    waiting: Mapped[str | None] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(16), default="phone", server_default="phone")
    email: Mapped[str | None] = mapped_column(String(255))
    # E-mail informing: pending | sent | failed; None when no e-mail is due.
    email_status: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))
    email_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # SMS informing: pending | queued | sent | delivered | failed; None when no SMS
    # is due.  ``sms_id`` is the message in the SMS outbox (sms_messages).
    sms_status: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))
    sms_id: Mapped[int | None] = mapped_column(Integer)
    sms_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The worker whose dispatcher pass claimed it (SELECT ... FOR UPDATE SKIP LOCKED), until
    # ``claimed_until``; other workers' passes skip it meanwhile (issue 20).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DialAttempt(Base):
    """One dialled call.  Written as "dialing" before the Originate goes out; its id is the
    channel's uniqueid and the Originate's ActionID."""

    __tablename__ = "dial_attempts"
    __table_args__ = (
        Index("ix_dial_attempts_phone_created", "phone", "created_at"),
        # The report's counts per attempt number, and its attempts in time order with the
        # hourly chart, read only these indexes (issue 19).
        Index("ix_dial_attempts_report", "campaign_id", "number", "status", "reason"),
        Index("ix_dial_attempts_campaign_created", "campaign_id", "created_at", "result"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    target_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_targets.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]  # 1 for the first attempt at this target, 2 for the first retry...
    phone: Mapped[str] = mapped_column(String(20))
    # dialing | answered | ended | unknown
    status: Mapped[str] = mapped_column(String(ENUM_LENGTH), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    result: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))
    reason: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))
    hangup_cause: Mapped[str | None] = mapped_column(String(255))
    key_played: Mapped[bool] = mapped_column(default=False, server_default=false())
    confirmed: Mapped[bool] = mapped_column(default=False, server_default=false())
    transferred: Mapped[bool] = mapped_column(default=False, server_default=false())
    # AMD said an answering machine answered.
    machine: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Progressive campaigns (issue 22 item 2): the operator who took the callee, and how long
    # they talked (AgentConnect, AgentComplete).
    operator: Mapped[str | None] = mapped_column(String(128))
    talk_seconds: Mapped[int | None]
    # The engine worker that dialled it (adopted by another when it dies), the cluster node
    # and the trunk it went out through (issue 20: the caps shared by every worker).
    worker: Mapped[str | None] = mapped_column(String(64), index=True)
    node: Mapped[str | None] = mapped_column(String(32))
    trunk: Mapped[str | None] = mapped_column(String(64))
    # Its Originate went out (or may have): a dispatcher batch is written false and each is
    # set just before its Originate, so an attempt of a worker killed inside a tick that was
    # never sent goes back to pending instead of being settled as unknown (issue 19 item 4).
    # True by default: any other writer sends at once (fate unknown if it dies).
    sent: Mapped[bool] = mapped_column(default=True, server_default=true())


class DialerLimit(Base):
    """Global pacing limits changed at run time (beat the settings; re-read every tick)."""

    __tablename__ = "dialer_limits"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[float]
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(64))
