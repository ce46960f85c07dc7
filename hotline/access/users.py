"""Console users: roles, password hashing, log-in with lock-out, and browser sessions.

The CLI (``hotline users``) and the web console call these same operations, so a rule (the
lock-out, who may do what, what gets audited) cannot differ between them.  Hashing with
argon2id is deliberately slow (tens of milliseconds), so it runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hotline.core.clock import utc_now
from hotline.settings import WebSettings
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database
from hotline.store.login_throttles import LoginThrottleStore, Reservation
from hotline.store.users import SessionRecord, UnknownUser, UserExists, UserRecord, UserStore


class Role(StrEnum):
    OPERATOR = "operator"
    # The emergency dispatcher: takes the dispatcher queue, registers current outages.
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Permission(StrEnum):
    OWN_CALLS = "own_calls"  # an operator's own calls, callbacks and screen pops
    ALL_CALLS = "all_calls"  # every call, recording and report
    CAMPAIGNS = "campaigns"  # create, approve, start and stop dial campaigns
    EMERGENCY = "emergency"  # switch emergency mode
    OUTAGES = "outages"  # register and close current outages
    USERS = "users"  # manage users
    AUDIT = "audit"  # read the audit log
    SETTINGS = "settings"  # see the settings, change the runtime ones (dialer pacing)
    APPEALS = "appeals"  # register appeals, hand over, answer, close, reopen (issue 16)
    APPEALS_PERSONAL = "appeals_personal"  # see the personal data in appeals
    APPEALS_TRUST = "appeals_trust"  # see trust-service appeals at all
    MENUS = "menus"  # edit, try, publish and roll back the IVR menu (issue 23)
    KNOWLEDGE = "knowledge"  # write and edit knowledge-base articles
    MONITOR = "monitor"  # listen, whisper and barge into operators' calls (issue 17 item 7)
    WEBHOOKS = "webhooks"  # see the webhook endpoints and dead letters, retry one (issue 22)


_GRANTS: Final[dict[Role, frozenset[Permission]]] = {
    # An operator registers appeals during calls (the caller's data is on their screen pop);
    # the register itself shows them masked.
    Role.OPERATOR: frozenset({Permission.OWN_CALLS, Permission.APPEALS}),
    Role.DISPATCHER: frozenset({Permission.OWN_CALLS, Permission.OUTAGES}),
    Role.SUPERVISOR: frozenset(
        {
            Permission.OWN_CALLS,
            Permission.ALL_CALLS,
            Permission.CAMPAIGNS,
            Permission.EMERGENCY,
            Permission.OUTAGES,
            Permission.APPEALS,
            Permission.APPEALS_PERSONAL,
            Permission.MENUS,
            Permission.KNOWLEDGE,
            Permission.MONITOR,
            Permission.WEBHOOKS,
        }
    ),
    Role.ADMIN: frozenset(Permission),
}


def allowed(role: str, permission: Permission) -> bool:
    try:
        return permission in _GRANTS[Role(role)]
    except ValueError:  # a role this version does not know grants nothing
        return False


NAME_PATTERN: Final = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH: Final = 10


class UserError(ValueError):
    """A request that breaks a rule (bad name, weak password, unknown user, ...)."""


class LoginOutcome(StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    DISABLED = "disabled"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: UserRecord | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class OpenedSession:
    token: str  # goes into the cookie; only its hash is stored
    csrf_token: str
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user_key(name: str) -> str:
    return f"user:{name[:255]}"


def _address_key(source: str) -> str:
    return f"addr:{source[:255]}"


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise UserError(
            f"bad user name {name!r}: 2-64 characters, lower-case latin letters, digits, "
            "'.', '_' or '-', starting with a letter"
        )
    return name


def check_password(password: str, name: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    if name.lower() in password.lower():
        raise UserError("password must not contain the user name")
    return password


class Users:
    def __init__(
        self,
        db: Database,
        settings: WebSettings,
        *,
        clock: Callable[[], datetime] = utc_now,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self._store = UserStore(db)
        self._throttle = LoginThrottleStore(db)
        self._audit = AuditLog(db)
        self._settings = settings
        self._now = clock
        self._hasher = hasher or PasswordHasher()
        # Verified against when the user does not exist, so both cases take as long and the
        # log-in form does not reveal which names exist.
        self._dummy_hash: str | None = None

    # --- management -----------------------------------------------------------------------------
    async def add(self, name: str, role: Role, password: str, by: Actor) -> UserRecord:
        check_name(name)
        check_password(password, name)
        hashed = await asyncio.to_thread(self._hasher.hash, password)
        try:
            user = await self._store.add(name, role.value, hashed, self._now())
        except UserExists as exc:
            raise UserError(f"user {name!r} already exists") from exc
        await self._audit.write(by, "user.add", name, {"role": role.value})
        return user

    async def list(self) -> list[UserRecord]:
        return await self._store.all()

    async def get(self, name: str) -> UserRecord | None:
        return await self._store.get(name)

    async def set_password(self, name: str, password: str, by: Actor) -> None:
        check_password(password, name)
        hashed = await asyncio.to_thread(self._hasher.hash, password)
        user = await self._update(name, password_hash=hashed)
        # A new password ends every session opened with the old one.
        await self._store.close_sessions_of(user.id)
        await self._audit.write(by, "user.password", name)

    async def set_role(self, name: str, role: Role, by: Actor) -> None:
        user = await self._update(name, role=role.value)
        await self._store.close_sessions_of(user.id)
        await self._audit.write(by, "user.role", name, {"role": role.value})

    async def disable(self, name: str, by: Actor) -> None:
        user = await self._update(name, disabled=True)
        await self._store.close_sessions_of(user.id)
        await self._audit.write(by, "user.disable", name)

    async def enable(self, name: str, by: Actor) -> None:
        await self._update(name, disabled=False)
        await self._audit.write(by, "user.enable", name)

    async def unlock(self, name: str, by: Actor) -> None:
        await self._update(name, locked_until=None, failed_logins=0)
        await self._throttle.clear(_user_key(name))
        await self._audit.write(by, "user.unlock", name)

    async def _update(self, name: str, **values: object) -> UserRecord:
        try:
            return await self._store.update(name, **values)
        except UnknownUser as exc:
            raise UserError(f"no user {name!r}") from exc

    # --- log-in ---------------------------------------------------------------------------------
    async def authenticate(self, name: str, password: str, source: str | None) -> LoginResult:
        """Check a log-in.  The attempt is counted (per name typed, known or not, and per client
        address) before the password is verified, atomically in the database, so parallel
        guesses cannot get more than ``max_failed_logins`` verifications per lock-out; the
        lock is checked again afterwards.  Unknown names get the same answers as known ones."""
        now = self._now()
        actor = Actor(name[:64] or "?", "web", source)
        target = name[:255]
        lockout = timedelta(minutes=self._settings.lockout_minutes)
        window = (now, now - lockout, now + lockout)
        reservations: list[Reservation] = []
        if source:
            by_address = await self._throttle.reserve(
                _address_key(source), self._settings.max_failed_logins_per_address, *window
            )
            if not by_address.granted:
                return await self._refused(actor, target, by_address.locked_until, "address")
            reservations.append(by_address)
        by_name = await self._throttle.reserve(
            _user_key(name), self._settings.max_failed_logins, *window
        )
        if not by_name.granted:
            for taken in reservations:  # not verified, so not counted against the address
                await self._throttle.release(taken, forget_failures=False)
            return await self._refused(actor, target, by_name.locked_until, "locked")
        reservations.append(by_name)

        user = await self._store.get(name)
        if user is None:
            await self._verify(await self._dummy(), password)
            return await self._failed(actor, target, None, reservations, "unknown user")
        if not await self._verify(user.password_hash, password):
            return await self._failed(actor, target, user, reservations, "bad password")
        if user.disabled:
            await self._audit.write(actor, "login.refused", name, {"why": "disabled"})
            return LoginResult(LoginOutcome.DISABLED)
        # Right password: this attempt no longer counts.  A lock that parallel failures set
        # meanwhile stays, and refuses this log-in too.
        left = [
            await self._throttle.release(taken, forget_failures=taken is by_name)
            for taken in reservations
        ]
        still = max((until for until in left if until is not None and until > now), default=None)
        if still is not None:
            return await self._refused(actor, target, still, "locked")
        user = await self._store.update(
            name, failed_logins=0, locked_until=None, last_login_at=now
        )
        await self._audit.write(actor, "login", name)
        return LoginResult(LoginOutcome.OK, user)

    async def _failed(
        self,
        actor: Actor,
        target: str,
        user: UserRecord | None,
        reservations: Sequence[Reservation],
        why: str,
    ) -> LoginResult:
        by_name = reservations[-1]
        locked_until = max(
            (taken.locked_until for taken in reservations if taken.locked_until is not None),
            default=None,
        )
        if user is not None:
            # A copy for the users list and for ending open sessions (``session``).
            if by_name.locked_until is not None:
                await self._store.update(
                    user.name, failed_logins=0, locked_until=by_name.locked_until
                )
            else:
                await self._store.update(user.name, failed_logins=by_name.number)
        await self._audit.write(
            actor, "login.failed", target, {"why": why, "locked": locked_until is not None}
        )
        if locked_until is not None:
            return LoginResult(LoginOutcome.LOCKED, locked_until=locked_until)
        return LoginResult(LoginOutcome.BAD_CREDENTIALS)

    async def _refused(
        self, actor: Actor, target: str, locked_until: datetime | None, why: str
    ) -> LoginResult:
        await self._audit.write(actor, "login.refused", target, {"why": why})
        until = locked_until or self._now() + timedelta(minutes=self._settings.lockout_minutes)
        return LoginResult(LoginOutcome.LOCKED, locked_until=until)

    async def _verify(self, hashed: str, password: str) -> bool:
        try:
            return await asyncio.to_thread(self._hasher.verify, hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(
                self._hasher.hash, secrets.token_urlsafe(16)
            )
        return self._dummy_hash

    # --- sessions -------------------------------------------------------------------------------
    async def open_session(self, user: UserRecord, source: str | None) -> OpenedSession:
        now = self._now()
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        expires = now + timedelta(hours=self._settings.session_max_hours)
        await self._store.open_session(user.id, token_hash(token), csrf, now, expires, source)
        await self._store.purge_sessions(now)
        lockout = timedelta(minutes=self._settings.lockout_minutes)
        await self._throttle.purge(now, now - lockout)
        return OpenedSession(token, csrf, expires)

    async def session(self, token: str, *, touch: bool = True) -> SessionRecord | None:
        """The live session behind a cookie, or None (unknown, expired, idle too long, or its
        user disabled or locked meanwhile).  ``touch=False`` checks without counting as
        activity (an open event stream re-checking its session)."""
        if not token:
            return None
        digest = token_hash(token)
        found = await self._store.find_session(digest)
        if found is None:
            return None
        now = self._now()
        idle = timedelta(minutes=self._settings.session_idle_minutes)
        user = found.user
        if (
            found.expires_at <= now
            or found.last_seen_at + idle <= now
            or user.disabled
            or (user.locked_until is not None and user.locked_until > now)
        ):
            await self._store.close_session(digest)
            return None
        if touch:
            await self._store.touch_session(digest, now)
        return found

    async def close_session(self, token: str, actor: Actor) -> None:
        await self._store.close_session(token_hash(token))
        await self._audit.write(actor, "logout", actor.name)
