"""Issue 21 (the held-writes spool): the queue tracker wrote each AMI queue event once, and one
the store refused (an outage) was logged and lost, so the queue KPIs missed the calls of every
outage.  Now a refused event is held, in order, spooled to local disk before the tracker goes
on, and written once the store is back, also by an engine started after one killed during the
outage; a replayed event already committed is not written twice.  On SQLite and PostgreSQL.

Checked against the old code: ``QueueEvents.add`` raised the store's error (the tracker logged
"queue tracker failed on ..."), and no event of the outage reached the store."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hotline.store.db import Database
from hotline.store.enums import QueueEventKind
from hotline.store.held_spool import HeldSpool
from hotline.store.queue_events import SPOOL, QueueEventRecord, QueueEvents
from tests.store.test_soak_event_outbox import Flaky

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
JOIN = QueueEventRecord(T0, QueueEventKind.JOIN, "8.1", "support", position=1)
CONNECT = QueueEventRecord(
    T0 + timedelta(seconds=7, microseconds=250), QueueEventKind.CONNECT, "8.1", "support",
    member="Иванова", wait=7,
)  # fmt: skip


@contextlib.asynccontextmanager
async def writing(events: QueueEvents) -> AsyncIterator[QueueEvents]:
    """The tracker's task writing held events; leaving the block kills it (no stop)."""
    task = asyncio.create_task(events.write_held_rows())
    try:
        yield events
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(db: Database, count: int) -> list[QueueEventRecord]:
    async with asyncio.timeout(60):  # a generous bound on a loaded machine, not a measure
        while len(found := await QueueEvents(db).for_uniqueid("8.1")) < count:
            await asyncio.sleep(0.05)
    return found


async def test_queue_events_refused_in_an_outage_survive_a_kill(
    db: Database, tmp_path: Path
) -> None:
    await db.upgrade()
    flaky = Flaky(db)
    flaky.down = True
    path = tmp_path / "held" / f"{SPOOL}.sqlite"
    spool = HeldSpool(path, 1 << 20)
    async with writing(QueueEvents(flaky, spool)) as events:  # type: ignore[arg-type]
        await events.add(JOIN)
        await events.add(CONNECT)
        assert events.held == 2
    spool.close()
    assert path.stat().st_mode & 0o777 == 0o600
    assert await QueueEvents(db).for_uniqueid("8.1") == []

    flaky.down = False
    spool = HeldSpool(path, 1 << 20)
    async with writing(QueueEvents(flaky, spool)):  # type: ignore[arg-type]
        assert await until(db, 2) == [JOIN, CONNECT]
        async with asyncio.timeout(60):
            while await spool.entries():
                await asyncio.sleep(0.05)
    spool.close()
    # Replayed once more (killed before the spool's delete): still once each.
    spool = HeldSpool(path, 1 << 20)
    await spool.put([("again", {**CONNECT.__dict__, "at": CONNECT.at.isoformat(),
                                "kind": CONNECT.kind.value})], "test")  # fmt: skip
    async with writing(QueueEvents(db, spool)):
        async with asyncio.timeout(60):
            while await spool.entries():
                await asyncio.sleep(0.05)
    spool.close()
    assert await QueueEvents(db).for_uniqueid("8.1") == [JOIN, CONNECT]


async def test_events_after_held_ones_wait_behind_them(db: Database, tmp_path: Path) -> None:
    await db.upgrade()
    flaky = Flaky(db)
    flaky.down = True
    spool = HeldSpool(tmp_path / "held" / f"{SPOOL}.sqlite", 1 << 20)
    events = QueueEvents(flaky, spool)  # type: ignore[arg-type]
    await events.add(JOIN)
    flaky.down = False
    await events.add(CONNECT)  # the store is back, but JOIN is still held: behind it
    assert events.held == 2
    async with writing(events):
        assert await until(db, 2) == [JOIN, CONNECT]
    spool.close()
