"""The log-in lock-out under parallel guesses (M3, L3), on both back ends: attempts are counted
in the database before the password is verified, per name and per client address."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from hotline.access.users import LoginOutcome, Role, Users
from hotline.settings import WebSettings
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database
from hotline.store.login_throttles import LoginThrottleStore
from hotline.store.models import LoginThrottle

PASSWORD = "correct horse battery"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
async def users(db: Database) -> AsyncIterator[Users]:
    await db.upgrade()
    settings = WebSettings(
        max_failed_logins=5, lockout_minutes=15, max_failed_logins_per_address=8
    )
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    users = Users(db, settings, clock=lambda: T0, hasher=fast)
    await users.add("ivanova", Role.ADMIN, PASSWORD, Actor("root", "cli"))
    yield users


async def failures(db: Database) -> int:
    return sum(1 for e in await AuditLog(db).entries() if e.action == "login.failed")


async def test_parallel_wrong_guesses_verify_at_most_the_limit(users: Users, db: Database) -> None:
    results = await asyncio.gather(
        *(users.authenticate("ivanova", f"wrong-{n}", None) for n in range(30))
    )
    assert await failures(db) == 5
    assert all(r.outcome is not LoginOutcome.OK for r in results)
    # Locked: the right password is refused too.
    assert (await users.authenticate("ivanova", PASSWORD, None)).outcome is LoginOutcome.LOCKED


class HeldHasher(PasswordHasher):
    """Verifies the right password only when the test lets it: the right guess is then surely
    reserved before the wrong ones that lock the name, whatever order the pool runs them in."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.holding = threading.Event()
        self.go_on = threading.Event()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        if password == PASSWORD:
            self.holding.set()
            assert self.go_on.wait(30), "the test never let the right guess go on"
        return super().verify(hash, password)


async def test_a_right_guess_among_parallel_wrong_ones_does_not_clear_the_lock(
    db: Database,
) -> None:
    await db.upgrade()
    settings = WebSettings(max_failed_logins=5, lockout_minutes=15)
    hasher = HeldHasher()
    users = Users(db, settings, clock=lambda: T0, hasher=hasher)
    await users.add("ivanova", Role.ADMIN, PASSWORD, Actor("root", "cli"))
    # The right guess takes its reservation and waits in verification...
    right = asyncio.create_task(users.authenticate("ivanova", PASSWORD, None))
    assert await asyncio.to_thread(hasher.holding.wait, 30)
    # ...while parallel wrong guesses fail and lock the name.
    wrong = await asyncio.gather(
        *(users.authenticate("ivanova", f"wrong-{n}", None) for n in range(20))
    )
    # Reservations 2-4 fail as bad credentials, the 5th locks the name, the other 15 are refused;
    # which task got which reservation is up to the pool, so the outcomes are counted.
    outcomes = [r.outcome for r in wrong]
    assert outcomes.count(LoginOutcome.BAD_CREDENTIALS) == 3
    assert outcomes.count(LoginOutcome.LOCKED) == 17
    hasher.go_on.set()

    assert (await right).outcome is LoginOutcome.LOCKED  # the lock others set stays
    assert await failures(db) == 4  # 5 reservations: the right one and 4 verified failures
    assert (await users.authenticate("ivanova", PASSWORD, None)).outcome is LoginOutcome.LOCKED


async def test_unknown_names_lock_out_with_the_same_answers(users: Users) -> None:
    known = [(await users.authenticate("ivanova", "wrong", "10.0.0.1")) for _ in range(6)]
    unknown = [(await users.authenticate("nosuchuser", "wrong", "10.0.0.2")) for _ in range(6)]
    assert [r.outcome for r in known] == [r.outcome for r in unknown]
    assert known[-1].outcome is LoginOutcome.LOCKED
    assert known[-1].locked_until == unknown[-1].locked_until


async def test_one_address_guessing_many_names_is_locked_out(users: Users, db: Database) -> None:
    for n in range(8):
        await users.authenticate(f"name{n}", "wrong", "10.0.0.9")
    assert await failures(db) == 8
    refused = await users.authenticate("ivanova", PASSWORD, "10.0.0.9")
    assert refused.outcome is LoginOutcome.LOCKED
    assert await failures(db) == 8  # refused before any verification
    # Another address is not affected.
    ok = await users.authenticate("ivanova", PASSWORD, "10.0.0.10")
    assert ok.outcome is LoginOutcome.OK


async def test_stale_keys_are_forgotten_but_locks_are_kept(db: Database) -> None:
    await db.upgrade()
    settings = WebSettings(max_failed_logins=2, lockout_minutes=15)
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    clock = [T0]
    users = Users(db, settings, clock=lambda: clock[0], hasher=fast)
    user = await users.add("ivanova", Role.ADMIN, PASSWORD, Actor("root", "cli"))
    await users.authenticate("typo-name", "wrong", None)
    clock[0] = T0 + timedelta(minutes=10)
    for _ in range(2):
        await users.authenticate("petrov", "wrong", None)  # locked until T0 + 25 min
    clock[0] = T0 + timedelta(minutes=16)
    await users.authenticate("ivanova", PASSWORD, None)
    await users.open_session(user, None)
    store = LoginThrottleStore(db)
    assert await store.locked_until("user:petrov") == T0 + timedelta(minutes=25)
    async with db.session() as session:
        keys = set(await session.scalars(select(LoginThrottle.key)))
    assert "user:typo-name" not in keys and "user:petrov" in keys
