"""The operator queue: operator hours overrides, emergency mode, callbacks, queue events,
operators, recordings and who accessed them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.enums import CallbackResult, CallbackStatus, QueueEventKind
from hotline.store.models.base import Base, JsonDocument, str_enum
from hotline.store.types import UtcDateTime


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
    # The operator who is to call back; None: any operator may take it.
    assigned_to: Mapped[str | None] = mapped_column(String(64))
    done_by: Mapped[str | None] = mapped_column(String(64))
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    note: Mapped[str | None] = mapped_column(Text)
    # The agreed window: the operator calls from due_at to due_until, inside operator
    # hours; None for a request taken before slots existed.
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    due_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class CallbackAttempt(Base):
    """One call to the customer from the console (R-109): the operator's phone first, then the
    customer; the result and the recording when Asterisk reports the hang-up."""

    __tablename__ = "callback_attempts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    callback_id: Mapped[int] = mapped_column(
        ForeignKey("callbacks.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    operator: Mapped[str] = mapped_column(String(64))
    # The originated channel's uniqueid (our id, also the Originate's ActionID).
    uniqueid: Mapped[str] = mapped_column(String(64), unique=True)
    result: Mapped[CallbackResult] = mapped_column(str_enum(CallbackResult))
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    recording_id: Mapped[int | None] = mapped_column(
        ForeignKey("recordings.id", ondelete="SET NULL")
    )


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
    # The department whose queue the operator takes calls in (queue.departments; R-097);
    # None: the operators' queue.
    department: Mapped[str | None] = mapped_column(String(64))


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
