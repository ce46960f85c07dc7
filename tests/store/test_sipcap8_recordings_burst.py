"""Issue 19 item 1 (hang-up bursts): the recordings of calls that hung up together are completed
together, one query for all of them, one look at all their files per round and one
transaction for the updates; each still waits its own settle time after its hang-up, and a
file MixMonitor is still writing is waited for.  On SQLite and PostgreSQL.

Checked against the old code: three calls took three queries, three updates and six thread
hops, each call on its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.contact_center.queue_tracker import QueueTracker
from hotline.contact_center.recording_completion import RecordingCompletion
from hotline.contact_center.recordings import WAV_BYTES_PER_SECOND, WAV_HEADER_BYTES
from hotline.protocol.ami import AmiEvent
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, EventKind
from hotline.store.queue_events import QueueEvents
from hotline.store.recordings import Recordings
from hotline.transport.ami import Subscription
from tests.store.test_sipcap5_tracker_completion import statements, thread_hops

CALLS = ("1800000100.1", "1800000100.2", "1800000100.3")


def wav(seconds: int) -> bytes:
    return b"\0" * (WAV_HEADER_BYTES + seconds * WAV_BYTES_PER_SECOND)


async def recorded_calls(call_log: CallLog, recordings: Recordings, folder: Path) -> list[Path]:
    paths = []
    for n, uniqueid in enumerate(CALLS, start=1):
        await call_log.open(uniqueid=uniqueid, direction=CallDirection.INBOUND)
        await call_log.add_event(uniqueid, EventKind.ACCOUNT, f"10000{n}")
        path = folder / f"{uniqueid}.wav"
        path.write_bytes(wav(n))
        await recordings.started(uniqueid, str(path), caller=None)
        paths.append(path)
    return paths


async def test_a_burst_of_hang_ups_is_one_query_and_one_update(
    db: Database, call_log: CallLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recordings = Recordings(db)
    await recorded_calls(call_log, recordings, tmp_path)
    events = Subscription(None, 10)
    tracker = QueueTracker(events, QueueEvents(db), recordings, call_log)
    hops = thread_hops(monkeypatch)
    running = asyncio.create_task(tracker.run())
    with statements(db) as seen:
        for uniqueid in CALLS:
            events.offer(AmiEvent.from_headers([("Event", "Hangup"), ("Uniqueid", uniqueid)]))
        async with asyncio.timeout(60):  # generous on a loaded machine, not a measure
            while events.queue.qsize() or tracker.pending:
                await asyncio.sleep(0.01)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    monkeypatch.undo()

    assert len([s for s in seen if s.startswith("SELECT")]) == 1, seen
    assert len([s for s in seen if s.startswith("UPDATE")]) == 1, seen
    assert hops() == 2  # all the files' sizes, then again to see them held still
    for n, uniqueid in enumerate(CALLS, start=1):
        (row,) = await recordings.for_uniqueid(uniqueid)
        assert (row.duration, row.account) == (float(n), f"10000{n}")
        assert row.call_id is not None


async def test_each_call_waits_its_own_settle_time(
    db: Database, call_log: CallLog, tmp_path: Path
) -> None:
    recordings = Recordings(db)
    await recorded_calls(call_log, recordings, tmp_path)
    now = [0.0]
    completion = RecordingCompletion(recordings, settle=1.0, clock=lambda: now[0])
    completion.hung_up(CALLS[0])
    now[0] = 0.5
    completion.hung_up(CALLS[1])
    now[0] = 1.0  # the first call's settle time is over, not the second's

    async def duration(uniqueid: str) -> float | None:
        return (await recordings.for_uniqueid(uniqueid))[0].duration

    async with asyncio.timeout(60):  # generous on a loaded machine, not a measure
        while await duration(CALLS[0]) is None:
            await asyncio.sleep(0.02)
    assert await duration(CALLS[1]) is None
    assert completion.pending == 1

    completion.hung_up(CALLS[2])
    now[0] = 2.0  # both due now: completed together
    with statements(db) as seen:
        await completion.stop(60)
    assert completion.pending == 0
    assert len([s for s in seen if s.startswith("SELECT")]) == 1, seen
    assert [await duration(u) for u in CALLS] == [1.0, 2.0, 3.0]
