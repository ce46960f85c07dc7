"""Console users (lock-out, sessions, expiry) and the append-only audit log, on both back ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hotline.access.users import LoginOutcome, Permission, Role, UserError, Users, allowed
from hotline.settings import WebSettings
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database

ADMIN = Actor("root", "cli")
PASSWORD = "correct horse battery"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def migrated(db: Database) -> AsyncIterator[Database]:
    await db.upgrade()
    yield db


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def users(migrated: Database, clock: Clock) -> Users:
    settings = WebSettings(max_failed_logins=3, lockout_minutes=15, session_idle_minutes=30)
    # Cheap parameters: the tests check the policy, not argon2's cost.
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return Users(migrated, settings, clock=clock, hasher=fast)


async def test_add_and_log_in(users: Users, migrated: Database) -> None:
    await users.add("ivanova", Role.OPERATOR, PASSWORD, ADMIN)
    stored = await users.get("ivanova")
    assert stored is not None and stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash

    ok = await users.authenticate("ivanova", PASSWORD, "127.0.0.1")
    assert ok.outcome is LoginOutcome.OK and ok.user is not None
    assert ok.user.last_login_at == T0

    log = await AuditLog(migrated).entries()
    assert [(e.action, e.actor, e.channel) for e in log] == [
        ("login", "ivanova", "web"),
        ("user.add", "root", "cli"),
    ]
    assert log[1].detail == {"role": "operator"}


@pytest.mark.parametrize(
    ("name", "password", "why"),
    [
        ("Ivanova", PASSWORD, "bad user name"),
        ("x", PASSWORD, "bad user name"),
        ("petrov", "short", "too short"),
        ("petrov", "petrov-secret-1", "user name"),
    ],
)
async def test_bad_names_and_passwords_are_refused(
    users: Users, name: str, password: str, why: str
) -> None:
    with pytest.raises(UserError, match=why):
        await users.add(name, Role.OPERATOR, password, ADMIN)
    assert await users.list() == []


async def test_duplicate_user_is_refused(users: Users) -> None:
    await users.add("petrov", Role.SUPERVISOR, PASSWORD, ADMIN)
    with pytest.raises(UserError, match="already exists"):
        await users.add("petrov", Role.ADMIN, PASSWORD, ADMIN)


async def test_lockout_after_repeated_failures_then_expiry(users: Users, clock: Clock) -> None:
    await users.add("ivanova", Role.OPERATOR, PASSWORD, ADMIN)
    outcomes = [(await users.authenticate("ivanova", "wrong", None)).outcome for _ in range(3)]
    assert outcomes == [
        LoginOutcome.BAD_CREDENTIALS,
        LoginOutcome.BAD_CREDENTIALS,
        LoginOutcome.LOCKED,
    ]
    # Locked: even the right password is refused, and says so.
    locked = await users.authenticate("ivanova", PASSWORD, None)
    assert locked.outcome is LoginOutcome.LOCKED
    assert locked.locked_until == T0 + timedelta(minutes=15)

    clock.now = T0 + timedelta(minutes=15, seconds=1)
    assert (await users.authenticate("ivanova", PASSWORD, None)).outcome is LoginOutcome.OK


async def test_success_resets_the_failure_count(users: Users) -> None:
    await users.add("ivanova", Role.OPERATOR, PASSWORD, ADMIN)
    for _ in range(2):
        await users.authenticate("ivanova", "wrong", None)
    assert (await users.authenticate("ivanova", PASSWORD, None)).outcome is LoginOutcome.OK
    for _ in range(2):
        await users.authenticate("ivanova", "wrong", None)
    assert (await users.authenticate("ivanova", PASSWORD, None)).outcome is LoginOutcome.OK


async def test_unknown_and_disabled_users(users: Users) -> None:
    assert (await users.authenticate("nobody", PASSWORD, None)).outcome is (
        LoginOutcome.BAD_CREDENTIALS
    )
    await users.add("ivanova", Role.OPERATOR, PASSWORD, ADMIN)
    await users.disable("ivanova", ADMIN)
    assert (await users.authenticate("ivanova", PASSWORD, None)).outcome is LoginOutcome.DISABLED
    await users.enable("ivanova", ADMIN)
    assert (await users.authenticate("ivanova", PASSWORD, None)).outcome is LoginOutcome.OK


async def test_sessions_expire_when_idle_and_end_on_password_change(
    users: Users, clock: Clock
) -> None:
    user = await users.add("ivanova", Role.OPERATOR, PASSWORD, ADMIN)
    opened = await users.open_session(user, "127.0.0.1")
    found = await users.session(opened.token)
    assert found is not None and found.user.name == "ivanova"
    assert found.csrf_token == opened.csrf_token
    assert await users.session("not-a-token") is None

    clock.now = T0 + timedelta(minutes=29)
    assert await users.session(opened.token) is not None  # activity keeps it alive
    clock.now = T0 + timedelta(minutes=58)
    assert await users.session(opened.token) is not None
    clock.now = T0 + timedelta(minutes=89)
    assert await users.session(opened.token) is None  # 31 minutes idle

    second = await users.open_session(user, None)
    await users.set_password("ivanova", "another good password", ADMIN)
    assert await users.session(second.token) is None


async def test_session_ends_when_user_is_disabled(users: Users) -> None:
    user = await users.add("ivanova", Role.OPERATOR, PASSWORD, ADMIN)
    opened = await users.open_session(user, None)
    await users.disable("ivanova", ADMIN)
    assert await users.session(opened.token) is None


async def test_audit_log_refuses_update_and_delete(migrated: Database) -> None:
    audit = AuditLog(migrated)
    await audit.write(Actor("petrov", "web", "10.0.0.5"), "recording.play", "call-1")
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with migrated.session() as session:
                await session.execute(text(statement))
    [entry] = await audit.entries()
    assert (entry.actor, entry.source, entry.target) == ("petrov", "10.0.0.5", "call-1")


def test_role_permissions() -> None:
    assert allowed("operator", Permission.OWN_CALLS)
    assert not allowed("operator", Permission.ALL_CALLS)
    assert allowed("supervisor", Permission.CAMPAIGNS)
    assert not allowed("supervisor", Permission.USERS)
    assert all(allowed("admin", p) for p in Permission)
    assert not allowed("intruder", Permission.OWN_CALLS)
