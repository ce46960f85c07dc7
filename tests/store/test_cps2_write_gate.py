"""The engine's SQLite writes take turns in-process (issue 19 item 6): a dialer mark issued
while another store holds a write transaction waits for its turn at the database's write gate
and is granted when that transaction commits, never meeting SQLite's lock; a mark goes before
the other writes waiting; the wait is bounded by the busy setting, then fails as SQLite's
busy wait does.

Every connection here has SQLite's own busy timeout at 0: a write that met SQLite's lock
would fail at once with "database is locked" instead of sleeping in the busy handler, so a
test that passes proves the write never waited there.  On the old code (no gate) the mark's
UPDATE meets the holder's lock and fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError

from dialer.repository import DialerStore
from hotline.store.db import Database
from hotline.store.write_gate import WriteGate, urgent_writes
from tests.dialer_support import NOW, running_campaign
from tests.unit.test_dialer_service import OPEN

PHONES = [f"+7913400{i:04d}" for i in range(3)]
BOUND = 30.0  # generous: the waits below end on a condition, never on this


def no_busy_wait(db: Database) -> None:
    """SQLite's busy handler off on every connection of ``db`` (after its own pragmas)."""

    def off(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.close()

    event.listen(db.engine.sync_engine, "connect", off)


async def open_db(tmp_path: Path, busy_seconds: float = 60.0) -> Database:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}", busy_seconds=busy_seconds)
    no_busy_wait(db)
    await db.upgrade()
    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE seen (who TEXT, sent INTEGER)"))
    return db


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    db = await open_db(tmp_path)
    yield db
    await db.dispose()


def gate_of(db: Database) -> WriteGate:
    assert db.write_gate is not None
    return db.write_gate


async def begun_attempt(store: DialerStore, tmp_path: Path) -> str:
    campaign = await running_campaign(store, tmp_path, PHONES, rules=OPEN)
    targets = await store.due_targets(campaign.id, NOW, 1)
    (attempt,) = await store.begin_attempts([(targets[0], "a0")], NOW, worker="w1")
    return attempt.id


async def holding(db: Database, who: str, held: asyncio.Event, end: asyncio.Event) -> None:
    """Another store's write transaction: its first write, then held open until ``end``."""
    async with db.session() as session:
        await session.execute(text("INSERT INTO seen (who) VALUES (:who)"), {"who": who})
        held.set()
        await end.wait()


async def seeing(db: Database, who: str) -> None:
    """A write that records whether the attempt was marked sent when its turn came."""
    async with db.session() as session:
        await session.execute(
            text("INSERT INTO seen SELECT :who, sent FROM dial_attempts WHERE id = 'a0'"),
            {"who": who},
        )


async def until(condition: Any) -> None:
    """Waits for ``condition()`` (a state, not a time), within the generous bound."""
    async with asyncio.timeout(BOUND):
        while not condition():
            await asyncio.sleep(0.01)


async def ends(awaitable: Awaitable[Any]) -> Any:
    return await asyncio.wait_for(awaitable, BOUND)


async def test_a_mark_is_granted_when_the_write_it_waits_for_commits(
    db: Database, tmp_path: Path
) -> None:
    store = DialerStore(db)
    attempt_id = await begun_attempt(store, tmp_path)
    gate = gate_of(db)
    held, end = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(holding(db, "holder", held, end))
    await ends(held.wait())
    waits = gate.waits
    with urgent_writes():
        mark = asyncio.create_task(store.mark_sent(attempt_id))
    await until(lambda: gate.waiting == 1)  # in the gate's queue, not in SQLite's handler
    assert not mark.done()
    end.set()
    await ends(holder)
    assert await ends(mark) is True
    assert gate.waits == waits + 1
    assert not gate.held and not gate.waiting
    async with db.session() as session:
        sent = await session.scalar(text("SELECT sent FROM dial_attempts WHERE id = 'a0'"))
    assert sent == 1


async def test_a_mark_goes_before_the_writes_waiting_ahead_of_it(
    db: Database, tmp_path: Path
) -> None:
    store = DialerStore(db)
    attempt_id = await begun_attempt(store, tmp_path)
    gate = gate_of(db)
    held, end = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(holding(db, "holder", held, end))
    await ends(held.wait())
    other = asyncio.create_task(seeing(db, "other"))
    await until(lambda: gate.waiting == 1)
    with urgent_writes():
        mark = asyncio.create_task(store.mark_sent(attempt_id))
    await until(lambda: gate.waiting == 2)
    end.set()
    await ends(asyncio.gather(holder, mark, other))
    async with db.session() as session:
        rows = (await session.execute(text("SELECT who, sent FROM seen"))).all()
    # The other write, queued first, had its turn after the mark's commit.
    assert sorted(rows, key=str) == [("holder", None), ("other", 1)]


async def test_the_wait_is_bounded_by_the_busy_setting(tmp_path: Path) -> None:
    db = await open_db(tmp_path, busy_seconds=0.2)
    try:
        gate = gate_of(db)
        held, end = asyncio.Event(), asyncio.Event()
        holder = asyncio.create_task(holding(db, "holder", held, end))
        await ends(held.wait())
        with pytest.raises(OperationalError, match="database is locked"):
            await ends(seeing(db, "late"))
        assert gate.held and not gate.waiting
        end.set()
        await ends(holder)
        await ends(seeing(db, "after"))  # the turn came back
        assert not gate.held
    finally:
        await db.dispose()


async def test_a_waiter_cancelled_or_a_write_rolled_back_hands_the_turn_on(
    db: Database,
) -> None:
    gate = gate_of(db)
    held, end = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(holding(db, "holder", held, end))
    await ends(held.wait())
    cancelled = asyncio.create_task(seeing(db, "cancelled"))
    await until(lambda: gate.waiting == 1)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert not gate.waiting
    end.set()
    await ends(holder)
    assert not gate.held
    # A write that fails inside its transaction rolls back and gives its turn back.
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            await session.execute(text("CREATE UNIQUE INDEX seen_who ON seen (who)"))
            await session.execute(text("INSERT INTO seen (who) VALUES ('holder')"))
    assert not gate.held
    await ends(seeing(db, "next"))
    assert not gate.held


async def test_postgres_has_no_gate() -> None:
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        assert db.write_gate is None
    finally:
        await db.dispose()


async def test_a_turn_left_by_a_finished_task_is_taken_back(db: Database) -> None:
    """A connection dropped with no commit, rollback or pool event seen leaves no turn held."""
    gate = gate_of(db)
    await ends(asyncio.create_task(gate.acquire(object())))
    assert gate.held
    await ends(seeing(db, "after"))
    assert not gate.held
