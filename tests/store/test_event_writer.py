"""Batched call events: committed by one task, flushed on demand, order kept, unknown calls
held for their row without stopping the writer; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection
from hotline.store.event_writer import EventWriter

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
async def running(db: Database) -> AsyncIterator[tuple[CallLog, EventWriter]]:
    await db.upgrade()
    writer = EventWriter(db)
    task = asyncio.create_task(writer.run())
    try:
        yield CallLog(db, writer), writer
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_noted_events_are_committed_in_order_by_flush(
    running: tuple[CallLog, EventWriter],
) -> None:
    log, _writer = running
    await log.open(uniqueid="1.1", direction=CallDirection.INBOUND, started_at=T0)
    for n in range(50):
        await log.note("1.1", "digits", str(n % 10), {"n": n})
    await log.flush()
    record = await log.get(uniqueid="1.1")
    assert record is not None
    assert [e.detail["n"] for e in record.events if e.detail] == list(range(50))


async def test_noted_and_immediate_events_interleave_by_time(
    running: tuple[CallLog, EventWriter],
) -> None:
    log, _writer = running
    await log.open(uniqueid="1.2", direction=CallDirection.INBOUND, started_at=T0)
    await log.note("1.2", "node", "main")
    await log.add_event("1.2", "account", "240000000001", at=datetime.now(UTC) + timedelta(0))
    await log.note("1.2", "node", "readings")
    await log.flush()
    record = await log.get(uniqueid="1.2")
    assert record is not None
    assert [e.kind for e in record.events] == ["node", "account", "node"]


async def test_unknown_call_is_held_for_its_row_and_the_writer_goes_on(
    running: tuple[CallLog, EventWriter], caplog: pytest.LogCaptureFixture
) -> None:
    # Issue 21: an event for a call without a row is held for the row (it may be written
    # later), not dropped; the others are written meanwhile.
    log, writer = running
    await log.open(uniqueid="1.3", direction=CallDirection.INBOUND, started_at=T0)
    with caplog.at_level(logging.WARNING):
        await log.note("no-such-call", "node", "main")
        await log.note("1.3", "node", "main")
        await log.flush()
    record = await log.get(uniqueid="1.3")
    assert record is not None and record.path == ("main",)
    assert "call events for no-such-call kept until its call row is written" in caplog.text
    assert (writer.held, writer.lost) == (1, 0)


async def test_without_a_writer_note_writes_at_once(db: Database) -> None:
    await db.upgrade()
    log = CallLog(db)
    await log.open(uniqueid="1.4", direction=CallDirection.INBOUND, started_at=T0)
    await log.note("1.4", "node", "main")
    await log.flush()  # nothing queued: returns at once
    record = await log.get(uniqueid="1.4")
    assert record is not None and record.path == ("main",)


async def test_events_of_a_burst_are_one_commit_and_flush_does_not_wait_for_more(
    db: Database,
) -> None:
    # Group commit: the writer used to commit whatever one turn of the loop had queued, a
    # transaction every few keys under load (issue 19 item 1).  With a linger longer than any
    # test, only flush() ends the wait: one commit holds the burst.
    await db.upgrade()
    writer = EventWriter(db, linger=3600.0)
    log = CallLog(db, writer)
    await log.open(uniqueid="1.9", direction=CallDirection.INBOUND, started_at=T0)
    commits: list[int] = []

    def commit(_conn: object) -> None:
        commits.append(1)

    engine = db.engine.sync_engine
    event.listen(engine, "commit", commit)
    task = asyncio.create_task(writer.run())
    try:
        await log.note("1.9", "node", "main")
        for _ in range(5):  # the writer takes the first event and waits for more
            await asyncio.sleep(0)
        for digit in "123":
            await log.note("1.9", "digits", digit)
        await log.flush()
    finally:
        event.remove(engine, "commit", commit)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert len(commits) == 1
    record = await log.get(uniqueid="1.9")
    assert record is not None and [e.value for e in record.events] == ["main", "1", "2", "3"]
