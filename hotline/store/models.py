"""Database tables.  Alembic migrations in ``migrations/`` must match these exactly.

Enums are stored as their string values (no native PostgreSQL enum and no CHECK constraint),
so adding an outcome later needs no table rebuild on SQLite.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from hotline.store.enums import CallbackStatus, CallDirection, CallOutcome, QueueEventKind
from hotline.store.types import UtcDateTime

# Deterministic constraint names, so migrations can refer to (and drop) them on every back end.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ENUM_LENGTH = 32


def str_enum(enum: type[StrEnum]) -> Enum:
    """Store a StrEnum as its value in a VARCHAR; reads come back as enum members."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=ENUM_LENGTH,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


# JSONB on PostgreSQL (indexable, compact); plain JSON text elsewhere.
JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Call(Base):
    """One call through the engine, inbound or outbound; the anchor for everything per call."""

    __tablename__ = "calls"

    # Our call id: uuid4 hex, handed to the dialplan as HOTLINE_CALL_ID.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    direction: Mapped[CallDirection] = mapped_column(str_enum(CallDirection))
    # Asterisk's uniqueid of the first channel (outbound: our attempt id used as channel id).
    uniqueid: Mapped[str] = mapped_column(String(64), unique=True)
    linkedid: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(255))
    caller: Mapped[str | None] = mapped_column(String(128))
    callee: Mapped[str | None] = mapped_column(String(128))
    simulated: Mapped[bool] = mapped_column(default=False, server_default=false())
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[CallOutcome | None] = mapped_column(str_enum(CallOutcome))
    hangup_cause: Mapped[str | None] = mapped_column(String(255))
    operator_reason: Mapped[str | None] = mapped_column(String(255))

    # lazy="raise": under asyncio an implicit lazy load would be blocking I/O; load explicitly.
    events: Mapped[list[CallEvent]] = relationship(
        order_by="(CallEvent.at, CallEvent.id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
    )


class CallEvent(Base):
    """Something that happened during a call: a menu node entered, a prompt, digits, a note."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("calls.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)


class CalendarOverride(Base):
    """A day whose operator hours a supervisor set by hand (regional holiday, shortened day,
    one-off change); beats the production calendar and the weekly schedule."""

    __tablename__ = "calendar_overrides"

    # The local date in the hours' time zone.
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # As in the settings: "HH:MM-HH:MM[,HH:MM-HH:MM]"; "" = closed.  Validated before storing.
    hours: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(64))


class EmergencyState(Base):
    """Emergency mode switched on or off, one row per switch; the newest row (highest id) is
    the current state, the rest is its history."""

    __tablename__ = "emergency_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    active: Mapped[bool]
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    by: Mapped[str] = mapped_column(String(64))
    # The message while on: a catalogue prompt or a typed text, and the rendered sound
    # (path without extension, as STREAM FILE takes it).  All None on an "off" row.
    prompt_id: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str | None] = mapped_column(Text)
    sound: Mapped[str | None] = mapped_column(String(1024))


class MenuVersion(Base):
    """A published IVR menu, one row per publish; append-only.  The newest row (highest id)
    is the active version; a rollback publishes an earlier version's content again as a new
    row (``rollback_of`` names it), so the history records every switch."""

    __tablename__ = "menu_versions"

    # The version number, 1, 2, ...
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    # The menu YAML as published, byte for byte.
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # What changed against the version active before (ivr.menu.diff.summarize_diff).
    summary: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(1024))
    rollback_of: Mapped[int | None]


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


class DialAttempt(Base):
    """One dialled call.  Written as "dialing" before the Originate goes out; its id is the
    channel's uniqueid and the Originate's ActionID."""

    __tablename__ = "dial_attempts"
    __table_args__ = (Index("ix_dial_attempts_phone_created", "phone", "created_at"),)

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


class DialerLimit(Base):
    """Global pacing limits changed at run time (beat the settings; re-read every tick)."""

    __tablename__ = "dialer_limits"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[float]
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(64))


class Account(Base):
    """A customer's personal account (лицевой счёт), as imported from billing."""

    __tablename__ = "accounts"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(Text, default="")
    # IANA zone: the account's dates (reading window, periods) are local to it.
    timezone: Mapped[str] = mapped_column(String(64))
    # Exact money in kopecks: positive = the customer owes, negative = overpaid.
    balance_kopecks: Mapped[int] = mapped_column(BigInteger, default=0)
    due_date: Mapped[date | None] = mapped_column(Date)
    last_payment_kopecks: Mapped[int | None] = mapped_column(BigInteger)
    last_payment_date: Mapped[date | None] = mapped_column(Date)
    # Average monthly consumption, kWh (the plausibility check); None = unknown.
    avg_monthly_kwh: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AccountPhone(Base):
    """A phone number registered for an account (digits only, 7XXXXXXXXXX for Russia)."""

    __tablename__ = "account_phones"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    account_number: Mapped[str] = mapped_column(
        String(32), ForeignKey("accounts.number", ondelete="CASCADE"), primary_key=True
    )


class Meter(Base):
    """An electricity meter of an account, with the last reading billing accepted per zone
    (the baseline the IVR checks new readings against)."""

    __tablename__ = "meters"

    account_number: Mapped[str] = mapped_column(
        String(32), ForeignKey("accounts.number", ondelete="CASCADE"), primary_key=True
    )
    meter_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The order the caller is asked in (the import file's order).
    position: Mapped[int]
    # Tariff zones: 1 single, 2 day/night, 3 day/night/peak.
    zones: Mapped[int]
    # Whole-kWh digits on the meter's display.
    digits: Mapped[int]
    last_1: Mapped[int | None]
    last_2: Mapped[int | None]
    last_3: Mapped[int | None]
    last_date: Mapped[date | None] = mapped_column(Date)


class Reading(Base):
    """A meter reading taken from a caller.  Append-only: a second submission for the same
    meter, zone and period supersedes the first (``superseded_by``), which stays as history;
    at most one row per (account, meter, zone, period) is current."""

    __tablename__ = "readings"
    __table_args__ = (
        Index(
            "uq_readings_current",
            "account_number",
            "meter_id",
            "zone",
            "period",
            unique=True,
            sqlite_where=text("superseded_by IS NULL"),
            postgresql_where=text("superseded_by IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    call_id: Mapped[str | None] = mapped_column(String(32), index=True)
    account_number: Mapped[str] = mapped_column(String(32), index=True)
    meter_id: Mapped[str] = mapped_column(String(32))
    zone: Mapped[int]
    # The billing period the reading counts for, "YYYY-MM".
    period: Mapped[str] = mapped_column(String(7), index=True)
    value: Mapped[int] = mapped_column(BigInteger)
    previous: Mapped[int] = mapped_column(BigInteger)
    consumption: Mapped[int] = mapped_column(BigInteger)
    # Comma-separated: implausible, next_period.
    flags: Mapped[str] = mapped_column(String(128), default="")
    needs_review: Mapped[bool] = mapped_column(default=False, server_default=false())
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    superseded_by: Mapped[int | None]


class Callback(Base):
    """A caller's request to be called back (out of hours, or instead of waiting longer)."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    number: Mapped[str] = mapped_column(String(32))
    call_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("calls.id", ondelete="SET NULL"), index=True
    )
    account: Mapped[str | None] = mapped_column(String(64))
    # Where it was taken: "closed" (out of hours), "queue" (overflow), "menu".
    source: Mapped[str] = mapped_column(String(32))
    status: Mapped[CallbackStatus] = mapped_column(str_enum(CallbackStatus))
    done_by: Mapped[str | None] = mapped_column(String(64))
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    note: Mapped[str | None] = mapped_column(Text)


class QueueEvent(Base):
    """An operator-queue event from AMI (or the overflow route); the KPIs are computed from
    these rows alone (hotline/contact_center/kpi.py)."""

    __tablename__ = "queue_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    kind: Mapped[QueueEventKind] = mapped_column(str_enum(QueueEventKind))
    uniqueid: Mapped[str] = mapped_column(String(64), index=True)
    queue: Mapped[str] = mapped_column(String(128))
    member: Mapped[str | None] = mapped_column(String(128))
    position: Mapped[int | None] = mapped_column(Integer)
    # Seconds waited (holdtime) and talked (talktime), as Asterisk reports them.
    wait: Mapped[int | None] = mapped_column(Integer)
    talk: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)


class Operator(Base):
    """An operator and the device the queue rings; whether they are logged in or paused is
    Asterisk's live state (QueueStatus), mirrored here so the engine can restore it."""

    __tablename__ = "operators"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    interface: Mapped[str] = mapped_column(String(255), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(255))
    simulated: Mapped[bool] = mapped_column(default=False, server_default=false())
    logged_in: Mapped[bool] = mapped_column(default=False, server_default=false())
    paused: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Recording(Base):
    """A call recording (MixMonitor file) and what it belongs to."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    call_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("calls.id", ondelete="SET NULL"), index=True
    )
    uniqueid: Mapped[str] = mapped_column(String(64), index=True)
    path: Mapped[str] = mapped_column(String(1024), unique=True)
    caller: Mapped[str | None] = mapped_column(String(128))
    account: Mapped[str | None] = mapped_column(String(64))
    operator: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    duration: Mapped[float | None] = mapped_column(Float)
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RecordingAccess(Base):
    """Audit log: every listing, export and purge of recordings."""

    __tablename__ = "recording_access"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    recording_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    by: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)


class User(Base):
    """Somebody who logs in to the console: an operator, a supervisor or an admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    # argon2id, in the PHC string format (algorithm, parameters and salt included).
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    disabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Consecutive failures since the last successful log-in; at the limit the account locks.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WebSession(Base):
    """A logged-in browser.  Only a hash of the cookie's token is stored, so a copy of the
    database cannot be used to log in."""

    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The synchronizer token every state-changing request must echo (form field or header).
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    source: Mapped[str | None] = mapped_column(String(255))


class AuditEntry(Base):
    """Who did what, when and from where: every state-changing action and every access to a
    recording or to personal data.  Append-only: the migration installs triggers that refuse
    UPDATE and DELETE on both back ends."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    # "web" (with the client address in source) or "cli" (with the OS user).
    channel: Mapped[str] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
