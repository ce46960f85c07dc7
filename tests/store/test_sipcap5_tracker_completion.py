"""Issue 19 item 1: completing a recorded call's recordings at its hang-up (the queue
tracker) is one query for what it needs (the recordings, the call's id, its last account,
its last operator) and one update per recording, with no thread hop beyond the look at the
file: it read the whole call with all its events, the call's queue events and the recordings
again, then hopped to a thread for the empty-file check and for the duration."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from hotline.contact_center.recording_completion import FILE_CLOSE_SECONDS, complete
from hotline.contact_center.recordings import WAV_BYTES_PER_SECOND, WAV_HEADER_BYTES
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, EventKind, QueueEventKind
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from hotline.store.recordings import Recordings

UNIQUEID = "1800000000.5"


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = db.engine.sync_engine

    def statement(_conn: Any, _cursor: Any, text: str, *_args: Any) -> None:
        seen.append(" ".join(text.split()[:3]).upper())

    event.listen(engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)


def thread_hops(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """Count the hops to a thread (``asyncio.to_thread``) until ``monkeypatch.undo()``."""
    hops = 0
    to_thread = asyncio.to_thread

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal hops
        hops += 1
        return await to_thread(*args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counted)
    return lambda: hops


async def test_a_recorded_calls_hang_up_is_one_query_and_one_update(
    db: Database, call_log: CallLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    call_id = await call_log.open(
        uniqueid=UNIQUEID, direction=CallDirection.INBOUND, caller="79131234567"
    )
    await call_log.add_event(UNIQUEID, EventKind.ACCOUNT, "100001")
    await call_log.add_event(UNIQUEID, EventKind.ACCOUNT, "100002")  # the last one counts
    queue = QueueEvents(db)
    for minute, member in ((0, "ivanova"), (5, "petrov")):  # transferred: the last one
        at = datetime(2026, 12, 5, 21, minute, tzinfo=UTC)
        await queue.add_once(
            QueueEventRecord(at, QueueEventKind.CONNECT, UNIQUEID, "operators", member=member)
        )
    path = tmp_path / f"{call_id}.wav"
    path.write_bytes(b"\0" * (WAV_HEADER_BYTES + 2 * WAV_BYTES_PER_SECOND))
    recordings = Recordings(db)
    await recordings.started(UNIQUEID, str(path), caller="79131234567")
    hops = thread_hops(monkeypatch)
    with statements(db) as seen:
        await complete(recordings, [UNIQUEID], FILE_CLOSE_SECONDS)
    monkeypatch.undo()

    reads = [s for s in seen if s.startswith("SELECT")]
    writes = [s for s in seen if s.startswith("UPDATE")]
    assert len(reads) == 1 and len(writes) == 1, seen
    assert hops() == 2  # the file's size, then again to see it held still
    (row,) = await recordings.for_uniqueid(UNIQUEID)
    assert (row.duration, row.account, row.operator, row.call_id) == (
        2.0,
        "100002",
        "petrov",
        call_id,
    )


async def test_indexing_a_recording_is_one_statement_and_idempotent(
    db: Database, call_log: CallLog
) -> None:
    call_id = await call_log.open(uniqueid=UNIQUEID, direction=CallDirection.INBOUND)
    recordings = Recordings(db)
    with statements(db) as seen:
        first = await recordings.started(UNIQUEID, "/rec/a.wav", caller="79131234567")
    assert len(seen) == 1, seen
    assert await recordings.started(UNIQUEID, "/rec/a.wav", caller="79131234567") == first
    other = await recordings.started("1800000000.6", "/rec/b.wav", caller=None)  # no call row
    rows = {r.path: r for r in await recordings.find()}
    assert (rows["/rec/a.wav"].id, rows["/rec/a.wav"].call_id) == (first, call_id)
    assert (rows["/rec/b.wav"].id, rows["/rec/b.wav"].call_id) == (other, None)


async def test_a_hang_up_asks_the_store_only_for_channels_this_process_did_not_index(
    db: Database, call_log: CallLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    recordings = Recordings(db)
    await recordings.started(UNIQUEID, "/rec/c.wav", caller=None)
    elsewhere = Recordings(db)  # another process's index (another worker, the CLI)
    await elsewhere.started("1800000000.7", "/rec/d.wav", caller=None)
    with statements(db) as seen:
        assert await recordings.any_for(UNIQUEID)  # indexed here: no statement
    assert seen == []
    with statements(db) as seen:
        assert await recordings.any_for(UNIQUEID)  # asked again: the store answers
        assert await recordings.any_for("1800000000.7")
        assert not await recordings.any_for("1800000000.8")
    assert len(seen) == 3, seen
    # Only what this process committed is remembered, and only so many channels.
    monkeypatch.setattr("hotline.store.recordings.INDEXED_KEPT", 2)
    for n in range(3):
        await recordings.started(f"1800000001.{n}", f"/rec/e{n}.wav", caller=None)
    with statements(db) as seen:
        assert await recordings.any_for("1800000001.0")  # fell out: asked of the store
        assert await recordings.any_for("1800000001.1")
        assert await recordings.any_for("1800000001.2")
    assert len(seen) == 1, seen
