"""Issue 21 (the held-writes spool): call events the batched writer kept for a database outage
(its outbox) or for a call row not written yet were held in memory only, so an engine
SIGKILLed during the outage lost them.  Now they are spooled to a local SQLite file before
``flush()`` returns and written from it at the next start, exactly once.  On SQLite and
PostgreSQL.

Checked against the old code: ``EventWriter`` took no spool and kept nothing on disk; the
"killed" writer's events never reached the store."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, EventKind
from hotline.store.event_writer import EventWriter
from hotline.store.held_spool import CALL_EVENTS, HeldSpool
from tests.store.test_soak_event_outbox import Flaky

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@contextlib.asynccontextmanager
async def writer_on(db: Any, spool: HeldSpool) -> AsyncIterator[EventWriter]:
    """A running writer; leaving the block kills it: the task is cancelled, nothing flushed
    or stopped, what it holds in memory is gone (a SIGKILL, as far as the store sees)."""
    writer = EventWriter(db, spool=spool)
    task = asyncio.create_task(writer.run())
    try:
        yield writer
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        spool.close()


async def values(db: Database, uniqueid: str) -> list[str]:
    record = await CallLog(db).get(uniqueid=uniqueid)
    return [e.value for e in record.events] if record is not None else []


async def until_empty(spool: HeldSpool) -> None:
    async with asyncio.timeout(60):  # a generous bound on a loaded machine, not a measure
        while await spool.entries():
            await asyncio.sleep(0.05)


async def test_events_held_through_an_outage_survive_a_kill(db: Database, tmp_path: Path) -> None:
    await db.upgrade()
    log = CallLog(db)
    await log.open(uniqueid="7.1", direction=CallDirection.INBOUND, started_at=T0)
    flaky = Flaky(db)
    flaky.down = True
    path = tmp_path / "held" / f"{CALL_EVENTS}.sqlite"
    async with writer_on(flaky, HeldSpool(path, 1 << 20)) as writer:
        held_log = CallLog(db, writer)
        for node in ("main", "readings"):
            await held_log.note("7.1", EventKind.NODE, node)  # the row exists, the store is away
        await held_log.note("7.2", EventKind.NODE, "operator")  # its row is not written yet
        await writer.flush()  # returns: parked, and on disk
        assert writer.waiting == 3
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert await values(db, "7.1") == []  # killed: nothing reached the store

    flaky.down = False
    spool = HeldSpool(path, 1 << 20)
    async with writer_on(flaky, spool) as writer:
        assert await writer_until(db, "7.1", 2) == ["main", "readings"]
        # The second call's row comes later (the tracker's own spool): its event waits for it.
        await log.open(uniqueid="7.2", direction=CallDirection.INBOUND, started_at=T0)
        assert await writer_until(db, "7.2", 1) == ["operator"]
        await until_empty(spool)
        await writer.flush()
    assert await values(db, "7.1") == ["main", "readings"]  # exactly once


async def writer_until(db: Database, uniqueid: str, count: int) -> list[str]:
    async with asyncio.timeout(60):  # a generous bound on a loaded machine, not a measure
        while len(found := await values(db, uniqueid)) < count:
            await asyncio.sleep(0.05)
    return found


async def test_a_replayed_event_already_committed_is_not_written_twice(
    db: Database, tmp_path: Path
) -> None:
    # The engine committed the batch and was killed before it deleted it from the spool.
    await db.upgrade()
    log = CallLog(db)
    await log.open(uniqueid="7.3", direction=CallDirection.INBOUND, started_at=T0)
    at = T0 + timedelta(seconds=1, microseconds=123456)
    await log.add_event("7.3", EventKind.DIGITS, "1", at=at)
    path = tmp_path / "held" / f"{CALL_EVENTS}.sqlite"
    spool = HeldSpool(path, 1 << 20)
    event = {"uniqueid": "7.3", "kind": EventKind.DIGITS, "detail": None}
    await spool.put(
        [
            ("a", {**event, "value": "1", "at": at.isoformat()}),
            ("b", {**event, "value": "2", "at": (at + timedelta(seconds=1)).isoformat()}),
        ],
        "test",
    )
    spool.close()
    spool = HeldSpool(path, 1 << 20)
    async with writer_on(Flaky(db), spool):
        assert await writer_until(db, "7.3", 2) == ["1", "2"]
        await until_empty(spool)
    assert await values(db, "7.3") == ["1", "2"]
