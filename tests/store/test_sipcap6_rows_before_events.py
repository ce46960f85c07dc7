"""Issue 19 item 1: the batched event writer and the call rows of the same process.

At 320 callers every other IVR call noted its first events while its call row was still in
the next batch of rows: the writer found no row, held the events, spooled them to disk (two
fsync'd writes), logged a warning and looked them up again.  The writer now waits for this
process's rows of a batch's calls, and learns their ids when they commit, so a batch looks
up no call id.  On SQLite and PostgreSQL.

Checked against the previous tree: the first test's event was held and spooled (``held`` 1,
one spool entry), and the second test's batch made one ``SELECT`` of call ids.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hotline.store import event_writer
from hotline.store.call_rows import CallRows
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, EventKind
from hotline.store.event_writer import EventWriter
from hotline.store.held_spool import HeldSpool
from tests.store.test_sipcap2_call_rows import counting
from tests.store.test_spool_held_events import writer_on

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
# A generous bound on a loaded machine, not a measure.
BOUND = 60


class HeldRows:
    """Call rows whose statement waits until ``release``: a row in flight, on demand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        write: Callable[..., Any] = CallRows._statement

        async def held(rows: CallRows, values: list[dict[str, Any]]) -> dict[str, str]:
            self.entered.set()
            await self.release.wait()
            result: dict[str, str] = await write(rows, values)
            return result

        monkeypatch.setattr(CallRows, "_statement", held)

    async def opening(self, log: CallLog, uniqueid: str) -> asyncio.Task[str]:
        """The call's row opened and held in flight: the task that returns its id."""
        task = asyncio.create_task(
            log.open(uniqueid=uniqueid, direction=CallDirection.INBOUND, started_at=T0)
        )
        async with asyncio.timeout(BOUND):
            await self.entered.wait()
        return task


@contextlib.asynccontextmanager
async def engine_log(db: Database, tmp_path: Path) -> AsyncIterator[tuple[CallLog, EventWriter]]:
    """The engine's call log: one writer, spooled, with the rows' CallLog (as hotline.app)."""
    await db.upgrade()
    spool = HeldSpool(tmp_path / "held" / "call-events.db", max_bytes=10_000_000)
    async with writer_on(db, spool) as writer:
        yield CallLog(db, writer), writer


async def kinds(log: CallLog, uniqueid: str) -> list[str]:
    record = await log.get(uniqueid=uniqueid)
    assert record is not None
    return [f"{e.kind}:{e.value}" for e in record.events]


async def test_events_noted_while_the_row_is_written_wait_for_it(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    rows = HeldRows(monkeypatch)
    async with engine_log(db, tmp_path) as (log, writer):
        opening = await rows.opening(log, "1900000000.1")
        await log.note("1900000000.1", EventKind.NODE, "main")
        flushed = asyncio.create_task(log.flush())
        await asyncio.sleep(0.2)  # the writer has the batch: it waits for the row
        assert not flushed.done()
        rows.release.set()
        async with asyncio.timeout(BOUND):
            await opening
            await flushed
        assert writer.held == 0
        assert await writer._spool.entries() == []  # type: ignore[union-attr]
        assert await kinds(log, "1900000000.1") == ["node:main"]
    assert "kept until its call row is written" not in caplog.text


async def test_a_batch_looks_up_no_call_id_for_rows_this_process_wrote(
    db: Database, tmp_path: Path
) -> None:
    async with engine_log(db, tmp_path) as (log, writer):
        for n in range(3):
            await log.open(
                uniqueid=f"1900000000.{n}", direction=CallDirection.INBOUND, started_at=T0
            )
        with counting(db) as counted:
            for n in range(3):
                await log.note(f"1900000000.{n}", EventKind.NODE, "main")
            await log.flush()
        assert writer.held == 0
        selects = [s for s in counted.statements if s.lstrip().upper().startswith("SELECT")]
        assert selects == []
        assert counted.inserts_into("call_events") == 1
        for n in range(3):
            assert await kinds(log, f"1900000000.{n}") == ["node:main"]


async def test_a_row_that_takes_too_long_leaves_its_events_held_then_written(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_writer, "ROWS_WAIT_SECONDS", 0.2)
    rows = HeldRows(monkeypatch)
    async with engine_log(db, tmp_path) as (log, writer):
        opening = await rows.opening(log, "1900000000.9")
        await log.note("1900000000.9", EventKind.NODE, "main")
        async with asyncio.timeout(BOUND):
            await log.flush()  # the wait for the row is bounded: the event is held
        assert writer.held == 1
        rows.release.set()
        async with asyncio.timeout(BOUND):
            await opening
            while writer.held:  # looked for again (held events' back-off) and written
                await asyncio.sleep(0.05)
        assert await kinds(log, "1900000000.9") == ["node:main"]


async def test_sqlite_keeps_a_pool_for_bursts_and_settings_override_it(tmp_path: Path) -> None:
    # At 320 callers the default pool (5 kept, 10 more) opened a connection, a thread of
    # aiosqlite with its PRAGMAs, for every other call.
    url = f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}"
    for database, kept, more in (
        (Database(url), 20, 40),
        (Database(url, pool_size=3, pool_overflow=1), 3, 1),
        (Database("postgresql+psycopg://u:p@127.0.0.1:1/x"), 5, 10),
    ):
        pool: Any = database.engine.pool
        assert (pool.size(), pool._max_overflow) == (kept, more)
        await database.dispose()
    memory = Database("sqlite+aiosqlite://")  # one shared connection: no pool to size
    try:
        async with memory.session() as session:
            assert await session.scalar(select(1)) == 1
    finally:
        await memory.dispose()
