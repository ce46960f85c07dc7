"""Found by the soak (issue 21): call events written while the database is down were lost.
They wait in a bounded outbox and are written, in order, once it answers; flush() does not
wait for it; beyond the bound they are counted as lost; a bad batch does not block the rest."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection
from hotline.store.event_writer import EventWriter

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class Flaky:
    """The writer's view of the database: down (connection refused) or refusing a batch."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.down = False
        self.bad: Exception | None = None

    def session(self) -> Any:
        if self.down:
            raise OperationalError("connect", {}, ConnectionRefusedError("connection refused"))
        if self.bad is not None:
            bad, self.bad = self.bad, None
            raise bad
        return self.db.session()


@contextlib.asynccontextmanager
async def writer_on(flaky: Flaky, **options: Any) -> AsyncIterator[EventWriter]:
    writer = EventWriter(flaky, **options)  # type: ignore[arg-type]
    task = asyncio.create_task(writer.run())
    try:
        yield writer
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def flaky(db: Database) -> Flaky:
    await db.upgrade()
    await CallLog(db).open(uniqueid="1.1", direction=CallDirection.INBOUND, started_at=T0)
    return Flaky(db)


async def values(db: Database) -> list[str]:
    record = await CallLog(db).get(uniqueid="1.1")
    assert record is not None
    return [e.value for e in record.events]


async def test_events_noted_while_the_database_is_down_are_written_when_it_is_back(
    flaky: Flaky,
) -> None:
    async with writer_on(flaky) as writer:
        log = CallLog(flaky.db, writer)
        await log.note("1.1", "node", "before")
        await log.flush()
        flaky.down = True
        for n in range(5):
            await log.note("1.1", "digits", str(n))
        async with asyncio.timeout(2):  # the call goes on: flush does not wait for the database
            await log.flush()
        flaky.down = False
        await log.note("1.1", "node", "after")
        async with asyncio.timeout(10):  # written with back-off once the database is back
            while "after" not in await values(flaky.db):
                await asyncio.sleep(0.05)
    assert await values(flaky.db) == ["before", "0", "1", "2", "3", "4", "after"]


async def test_beyond_the_outbox_events_are_counted_as_lost(flaky: Flaky) -> None:
    async with writer_on(flaky, outbox_size=3) as writer:
        log = CallLog(flaky.db, writer)
        flaky.down = True
        for n in range(5):
            await log.note("1.1", "digits", str(n))
        await log.flush()
        assert (writer.waiting, writer.lost) == (3, 2)
        flaky.down = False
        async with asyncio.timeout(10):
            while writer.waiting:
                await asyncio.sleep(0.05)
    assert await values(flaky.db) == ["0", "1", "2"]


async def test_a_batch_the_database_refuses_is_lost_and_the_writer_goes_on(
    flaky: Flaky,
) -> None:
    async with writer_on(flaky) as writer:
        log = CallLog(flaky.db, writer)
        flaky.bad = IntegrityError("insert", {}, ValueError("refused"))
        await log.note("1.1", "node", "refused")
        await log.flush()
        await log.note("1.1", "node", "next")
        await log.flush()
    assert await values(flaky.db) == ["next"]
    assert writer.lost == 1 and writer.waiting == 0
