"""Callbacks assigned when their window opens and flagged when it passes (issue 16 item 3,
R-109), on SQLite and PostgreSQL: the least-loaded logged-in operator gets each one, the
engine's assignments are audited, the overdue list is the newest due first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hotline.contact_center import callbacks
from hotline.store.audit import Actor, AuditLog
from hotline.store.callbacks import CallbackStore
from hotline.store.db import Database
from hotline.store.operators import Operators

NOW = datetime(2026, 3, 11, 6, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
async def store(db: Database) -> Database:
    await db.upgrade()
    return db


async def request(db: Database, due: datetime | None, number: str = "79001234567") -> int:
    record = await CallbackStore(db).request(
        number, source="closed", at=NOW - 2 * HOUR, due_at=due, due_until=due and due + HOUR
    )
    return record.id


async def test_due_callbacks_go_to_the_least_loaded_logged_in_operator(store: Database) -> None:
    operators = Operators(store)
    for name in ("anna", "boris", "vera", "gleb"):
        await operators.add(name, f"Local/{name}@operators", simulated=True)
    await operators.set_state("anna", logged_in=True, paused=False)
    await operators.set_state("boris", logged_in=True, paused=False)
    await operators.set_state("vera", logged_in=True, paused=True)  # paused: not given any
    # anna already has one open request; gleb is not logged in.
    busy = await request(store, NOW - 3 * HOUR)
    await callbacks.assign(store, busy, "anna", Actor("sidorova", "web"))
    first = await request(store, NOW - HOUR)
    second = await request(store, NOW)
    third = await request(store, NOW - 30 * timedelta(minutes=1))
    later = await request(store, NOW + HOUR)  # its window has not opened
    without = await request(store, None)  # no agreed window: a supervisor assigns it

    assigned = await callbacks.assign_due(store, NOW)
    assert [(r.id, r.assigned_to) for r in assigned] == [
        (first, "boris"),
        (third, "anna"),
        (second, "boris"),
    ]
    by_id = {r.id: r.assigned_to for r in await CallbackStore(store).find()}
    assert by_id[later] is None and by_id[without] is None
    entries = await AuditLog(store).entries(action="callback.auto_assign")
    assert sorted((e.actor, e.target, e.detail["to"]) for e in entries if e.detail) == sorted(
        [
            ("engine", str(first), "boris"),
            ("engine", str(third), "anna"),
            ("engine", str(second), "boris"),
        ]
    )
    assert await callbacks.assign_due(store, NOW) == []  # nothing twice


async def test_nobody_logged_in_leaves_them_unassigned(store: Database) -> None:
    await request(store, NOW - HOUR)
    assert await callbacks.assign_due(store, NOW) == []


async def test_overdue_is_open_past_its_window_newest_due_first(store: Database) -> None:
    oldest = await request(store, NOW - 5 * HOUR)
    newer = await request(store, NOW - 2 * HOUR)
    await request(store, NOW - 30 * timedelta(minutes=1))  # its window runs until 06:30
    done = await request(store, NOW - 4 * HOUR)
    await CallbackStore(store).done(done, "anna")
    await request(store, None)
    overdue = await callbacks.overdue(store, NOW)
    assert [r.id for r in overdue] == [newer, oldest]
    assert all(callbacks.is_overdue(r, NOW) for r in overdue)
    listed = await callbacks.requests(store, Actor("anna", "web"))
    assert [r.due_at for r in listed][:2] == [NOW - 30 * timedelta(minutes=1), NOW - 2 * HOUR]
    assert listed[-1].due_at is None
