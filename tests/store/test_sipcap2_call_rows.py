"""Issue 19 item 1: the call log's writes for a burst of calls, counted on the real database
(SQLite file, PostgreSQL): call rows opened together in one statement, a hang-up's writes in
one transaction."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DataError

from hotline.store.calllog import CallLog, UnknownCall
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome, EventKind
from hotline.store.event_writer import EventWriter

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


class Counted:
    """The statements and commits the database saw."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.commits = 0

    def inserts_into(self, table: str) -> int:
        return sum(
            s.lstrip().upper().startswith(f"INSERT INTO {table.upper()} ") for s in self.statements
        )


@contextmanager
def counting(db: Database) -> Iterator[Counted]:
    counted = Counted()
    engine = db.engine.sync_engine

    def statement(_conn: Any, _cursor: Any, text: str, *_args: Any) -> None:
        counted.statements.append(text)

    def commit(_conn: Any) -> None:
        counted.commits += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)


async def open_call(log: CallLog, n: int, **fields: Any) -> str:
    return await log.open(
        uniqueid=f"1800000000.{n}",
        direction=CallDirection.INBOUND,
        started_at=fields.pop("started_at", T0),
        **fields,
    )


async def test_calls_opened_together_are_one_statement(call_log: CallLog) -> None:
    # Before: one transaction and one INSERT .. ON CONFLICT per call (40 here).
    with counting(call_log.db) as counted:
        ids = await asyncio.gather(
            *(open_call(call_log, n, caller=f"+7913000{n:04d}") for n in range(40))
        )
    assert counted.inserts_into("calls") == 1
    assert counted.commits == 1
    assert len(set(ids)) == 40
    for n, call_id in enumerate(ids):  # each caller got its own call's id back
        record = await call_log.get(uniqueid=f"1800000000.{n}")
        assert record is not None and record.id == call_id
        assert record.caller == f"+7913000{n:04d}"


async def test_bursts_of_any_size_reuse_one_compiled_statement(call_log: CallLog) -> None:
    # Built with .values(rows) the upsert had no cache key: built and compiled anew for every
    # batch, 1 ms of CPU per call row (issue 19 item 1).
    cache: list[Any] = []

    def statement(
        _conn: Any, _cursor: Any, text: str, _params: Any, context: Any, *_: Any
    ) -> None:
        if text.lstrip().upper().startswith("INSERT INTO CALLS "):
            cache.append(context.cache_hit)

    engine = call_log.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", statement)
    try:
        for first, size in ((0, 3), (10, 5), (20, 1), (30, 1), (40, 4)):
            await asyncio.gather(*(open_call(call_log, first + n) for n in range(size)))
    finally:
        event.remove(engine, "before_cursor_execute", statement)
    # Compiled twice at most: once for a batch, once for a lone row (a plain execute).
    hit = call_log.db.engine.dialect.CACHE_HIT
    assert len(cache) == 5 and sum(found != hit for found in cache) <= 2, cache
    assert cache[3:] == [hit, hit], cache
    for n in (0, 2, 10, 14, 20, 30, 40, 43):
        assert await call_log.get(uniqueid=f"1800000000.{n}") is not None


async def test_one_call_opened_twice_in_a_burst_is_one_row_as_the_upsert_makes_it(
    call_log: CallLog,
) -> None:
    # The IVR and the call tracker open the same call at once: PostgreSQL refuses a
    # statement touching one row twice, so the batch merges them as the upsert would.
    first, second, other = await asyncio.gather(
        open_call(call_log, 1, channel="PJSIP/trunk-1", started_at=T0 + timedelta(seconds=1)),
        open_call(call_log, 1, caller="+79130000001", simulated=True, started_at=T0),
        open_call(call_log, 2),
    )
    assert first == second != other
    record = await call_log.get(uniqueid="1800000000.1")
    assert record is not None
    assert (record.id, record.channel, record.caller) == (first, "PJSIP/trunk-1", "+79130000001")
    assert record.simulated and record.started_at == T0
    # A later open of the same call finds the row again, keeping what it has.
    assert await open_call(call_log, 1, channel="other", started_at=T0 + timedelta(1)) == first
    again = await call_log.get(uniqueid="1800000000.1")
    assert again is not None and again.channel == "PJSIP/trunk-1" and again.started_at == T0


async def test_an_open_that_adds_nothing_to_a_row_written_here_writes_nothing(
    call_log: CallLog,
) -> None:
    # The IVR opens the row the call tracker opened a moment before: it was a transaction
    # of its own for every inbound call (0.6 ms of CPU), which left the row as it was.
    tracked = await open_call(
        call_log, 1, channel="PJSIP/trunk-1", caller="+79130000001", linkedid="1800000000.1"
    )
    later = T0 + timedelta(seconds=2)
    with counting(call_log.db) as counted:
        again = await open_call(
            call_log, 1, channel="PJSIP/trunk-1", caller="+79130000001", started_at=later
        )
    assert again == tracked and counted.statements == []
    # What an open would change is written: a field the row lacks, the simulated mark, an
    # earlier start.
    earlier = T0 - timedelta(seconds=1)
    for fields in ({"callee": "1000"}, {"simulated": True}, {"started_at": earlier}):
        with counting(call_log.db) as counted:
            assert await open_call(call_log, 1, **fields) == tracked
        assert counted.inserts_into("calls") == 1, fields
    record = await call_log.get(uniqueid="1800000000.1")
    assert record is not None
    assert (record.callee, record.simulated, record.started_at) == ("1000", True, earlier)
    with counting(call_log.db) as counted:
        assert (
            await open_call(call_log, 1, callee="9", simulated=True, started_at=later) == tracked
        )
    assert counted.statements == []


async def test_a_row_the_database_refuses_costs_the_burst_nothing(call_log: CallLog) -> None:
    # Longer than calls.channel's 255 characters: PostgreSQL refuses it (SQLite keeps it).
    opens = [open_call(call_log, n) for n in range(5)]
    opens.append(open_call(call_log, 9, channel="PJSIP/" + "x" * 300))
    results = await asyncio.gather(*opens, return_exceptions=True)
    for n, result in enumerate(results[:5]):
        record = await call_log.get(uniqueid=f"1800000000.{n}")
        assert record is not None and record.id == result
    if call_log.db.engine.dialect.name == "postgresql":
        assert isinstance(results[5], DataError)
    else:
        assert isinstance(results[5], str)


async def test_a_hang_up_event_and_outcome_are_one_transaction(call_log: CallLog) -> None:
    await open_call(call_log, 1)
    with counting(call_log.db) as counted:
        await call_log.record_outcome(
            "1800000000.1", EventKind.STATUS, "caller hung up", CallOutcome.ABANDONED
        )
    assert counted.commits == 1
    # The UPDATE returns the call's id: the event's INSERT looks it up no second time.
    assert len(counted.statements) == 2, counted.statements
    record = await call_log.get(uniqueid="1800000000.1")
    assert record is not None and record.outcome is CallOutcome.ABANDONED
    assert [(e.kind, e.value) for e in record.events] == [(EventKind.STATUS, "caller hung up")]
    # The first outcome wins, as with set_outcome.
    await call_log.record_outcome("1800000000.1", EventKind.STATUS, "again", CallOutcome.OPERATOR)
    record = await call_log.get(uniqueid="1800000000.1")
    assert record is not None and record.outcome is CallOutcome.ABANDONED


async def test_a_hang_up_before_the_row_hands_its_event_to_the_writer(db: Database) -> None:
    await db.upgrade()
    writer = EventWriter(db)
    task = asyncio.ensure_future(writer.run())
    call_log = CallLog(db, writer)
    try:
        with pytest.raises(UnknownCall):  # the outcome has no row to go to
            await call_log.record_outcome(
                "1800000000.7", EventKind.STATUS, "caller hung up", CallOutcome.ABANDONED
            )
        await writer.flush()
        assert writer.held == 1  # kept for the row, not lost
        await open_call(call_log, 7)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_an_end_reported_again_brings_the_outcome_in_the_same_transaction(
    call_log: CallLog,
) -> None:
    # The call tracker's hang-up was an end then an outcome, two transactions; the end
    # carries the outcome now, also when the call was ended before without one.
    await open_call(call_log, 1)
    await call_log.ended("1800000000.1", at=T0 + timedelta(seconds=30), hangup_cause="16")
    with counting(call_log.db) as counted:
        await call_log.ended(
            "1800000000.1", at=T0 + timedelta(seconds=31), outcome=CallOutcome.ABANDONED
        )
    assert counted.commits == 1
    record = await call_log.get(uniqueid="1800000000.1")
    assert record is not None
    assert record.outcome is CallOutcome.ABANDONED
    assert record.ended_at == T0 + timedelta(seconds=30) and record.hangup_cause == "16"


async def test_an_inbound_calls_end_reads_its_row_once_with_its_webhook_event(
    call_log: CallLog,
) -> None:
    # The end read the row again through the ORM for its webhook event, and wrote the event
    # by a unit of work; the ending UPDATE returns what the event reports now.
    await open_call(call_log, 1, caller="+79130000001")
    await call_log.add_event("1800000000.1", EventKind.NODE, "root")
    with counting(call_log.db) as counted:
        await call_log.ended(
            "1800000000.1", at=T0 + timedelta(seconds=30), outcome=CallOutcome.ABANDONED
        )
    reads = [s for s in counted.statements if s.lstrip().upper().startswith("SELECT")]
    assert not [s for s in reads if "FROM CALLS" in s.upper()], reads
    assert counted.inserts_into("webhook_events") == 1 and counted.commits == 1
    async with call_log.db.session() as session:
        (body,) = (await session.execute(text("SELECT body FROM webhook_events"))).scalars()
    data = json.loads(body)["data"]
    assert (data["ivr_path"], data["outcome"], data["phone"]) == (
        ["root"],
        "abandoned",
        "+79130000001",
    )
    assert data["ended_at"].startswith("2026-12-05T09:00:30")
