"""Console users, their sessions and the append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.models.base import ENUM_LENGTH, Base, JsonDocument
from hotline.store.types import UtcDateTime


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


class LoginThrottle(Base):
    """Log-in attempts counted per key ("user:<name>" for any name typed, known or not, and
    "addr:<client address>").  An attempt is reserved here, atomically, before the password
    is verified, so parallel guesses cannot all pass the check."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    # Attempts reserved since window_start that did not succeed (in flight or failed).
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    window_start: Mapped[datetime] = mapped_column(UtcDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


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
