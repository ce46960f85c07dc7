"""Issue 21 (round 5): call events refused while their call row is not written yet (the call
tracker holds the row through a database outage, or its commit has not landed) were dropped
as "unknown call", and the IVR's events written at once were lost when the store refused
them.  Now the batched writer holds such events for their row (up to
``held_writes.events_for_row_seconds``, then logged masked and counted), and the IVR hands a
refused immediate event to the batched writer.  On SQLite and PostgreSQL.

Checked against the old code: the held events were dropped (the first three tests find no
events), the IVR's refused event never reached the store (the last two time out waiting)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest

from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, EventKind
from hotline.store.event_writer import EventWriter
from ivr.call import IvrCall
from tests.store.test_soak_event_outbox import Flaky

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
ACCOUNT = "100000000001"


class Clock:
    """The writer's monotonic clock, moved by hand (the bound is not waited out)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextlib.asynccontextmanager
async def writer_on(db: Any, **options: Any) -> AsyncIterator[EventWriter]:
    writer = EventWriter(db, **options)
    task = asyncio.create_task(writer.run())
    try:
        yield writer
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def values(db: Database, uniqueid: str) -> list[str]:
    record = await CallLog(db).get(uniqueid=uniqueid)
    return [e.value for e in record.events] if record is not None else []


async def until_written(db: Database, uniqueid: str, count: int) -> list[str]:
    async with asyncio.timeout(60):  # a generous bound on a loaded machine, not a measure
        while len(found := await values(db, uniqueid)) < count:
            await asyncio.sleep(0.05)
    return found


@pytest.fixture
async def ready(db: Database) -> Database:
    await db.upgrade()
    return db


async def test_events_for_a_row_written_later_are_written_once_it_exists(
    ready: Database,
) -> None:
    async with writer_on(ready) as writer:
        log = CallLog(ready, writer)
        for node in ("main", "readings", "operator"):
            await log.note("2.1", EventKind.NODE, node)
        await log.flush()  # the call goes on: held, not waited for
        assert (writer.held, writer.lost) == (3, 0)
        # The tracker writes the row once the database is back; no new event comes.
        await log.open(uniqueid="2.1", direction=CallDirection.INBOUND, started_at=T0)
        assert await until_written(ready, "2.1", 3) == ["main", "readings", "operator"]
        assert (writer.held, writer.lost) == (0, 0)


async def test_a_held_call_s_new_events_follow_its_held_ones(ready: Database) -> None:
    async with writer_on(ready) as writer:
        log = CallLog(ready, writer)
        await log.open(uniqueid="2.2", direction=CallDirection.INBOUND, started_at=T0)
        await log.note("2.3", EventKind.NODE, "main")
        await log.note("2.3", EventKind.DIGITS, "1")
        await log.note("2.2", EventKind.NODE, "other call")
        await log.flush()
        assert writer.held == 2
        await log.open(uniqueid="2.3", direction=CallDirection.INBOUND, started_at=T0)
        await log.note("2.3", EventKind.NODE, "readings")
        await log.flush()
        assert await values(ready, "2.3") == ["main", "1", "readings"]
        assert await values(ready, "2.2") == ["other call"]
        assert writer.held == 0


async def test_events_whose_row_never_comes_are_lost_after_the_bound(
    ready: Database, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    async with writer_on(ready, events_for_row_seconds=300, clock=clock) as writer:
        log = CallLog(ready, writer)
        await log.open(uniqueid="2.4", direction=CallDirection.INBOUND, started_at=T0)
        await log.note("ghost.1", EventKind.DIGITS, "79991234567")
        await log.note("ghost.1", EventKind.NODE, "main")
        await log.flush()
        clock.now += 299
        await log.note("2.4", EventKind.NODE, "main")
        await log.flush()
        assert (writer.held, writer.lost) == (2, 0)  # not yet
        clock.now += 2
        with caplog.at_level(logging.WARNING):
            await log.note("2.4", EventKind.NODE, "readings")
            await log.flush()
        assert (writer.held, writer.lost) == (0, 2)
    assert "no call row for ghost.1 within 300 s (digits x1, node x1)" in caplog.text
    assert "79991234567" not in caplog.text  # a caller's digits are never logged
    assert await values(ready, "2.4") == ["main", "readings"]


def ivr_call(log: CallLog, uniqueid: str) -> IvrCall:
    class Agi:
        env = SimpleNamespace(uniqueid=uniqueid, callerid=None)

        async def set_variable(self, name: str, value: str) -> None:
            return None

    return IvrCall(cast(Any, Agi()), log, cast(Any, None), cast(Any, None))


async def test_an_ivr_event_the_store_refuses_is_written_once_it_is_back(
    ready: Database,
) -> None:
    await CallLog(ready).open(uniqueid="2.5", direction=CallDirection.INBOUND, started_at=T0)
    flaky = Flaky(ready)
    async with writer_on(flaky) as writer:
        log = CallLog(cast(Database, flaky), writer)
        flaky.down = True
        await ivr_call(log, "2.5").identified(ACCOUNT, "typed")  # the call goes on
        flaky.down = False
        assert await until_written(ready, "2.5", 1) == [ACCOUNT]
        assert writer.lost == 0


async def test_an_ivr_event_before_its_row_is_written_is_held_for_it(ready: Database) -> None:
    async with writer_on(ready) as writer:
        log = CallLog(ready, writer)
        await ivr_call(log, "2.6").reading_committed("M1/1=8050", {"value": 8050})
        await log.flush()
        assert writer.held == 1
        await log.open(uniqueid="2.6", direction=CallDirection.INBOUND, started_at=T0)
        assert await until_written(ready, "2.6", 1) == ["M1/1=8050"]
