"""Issue 18: the recordings list showed an empty duration («с») for a call.  The queue tracker
fills in a recording's duration a moment after the hang-up (MixMonitor closes the file
late); an engine stopping in that moment (the demo stops it right after its last call)
cancelled the pending completion, so the duration was never stored.  A stop now completes
the recordings of the calls that have already ended."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.contact_center.queue_tracker import QueueTracker
from hotline.contact_center.recordings import WAV_BYTES_PER_SECOND, WAV_HEADER_BYTES
from hotline.protocol.ami import AmiEvent
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection
from hotline.store.queue_events import QueueEvents
from hotline.store.recordings import Recordings
from hotline.transport.ami import Subscription


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'calls.db'}")
    await database.upgrade()
    yield database
    await database.dispose()


async def test_a_stop_right_after_the_hang_up_keeps_the_duration(
    db: Database, tmp_path: Path
) -> None:
    wav = tmp_path / "call-1.wav"
    wav.write_bytes(b"\0" * (WAV_HEADER_BYTES + 3 * WAV_BYTES_PER_SECOND))  # 3 s of audio
    call_log, recordings = CallLog(db), Recordings(db)
    await call_log.open(uniqueid="call-1", direction=CallDirection.INBOUND)
    await recordings.started("call-1", str(wav), caller="+79131234567")
    events = Subscription(None, 10)
    tracker = QueueTracker(events, QueueEvents(db), recordings, call_log)
    running = asyncio.create_task(tracker.run())
    events.offer(AmiEvent.from_headers([("Event", "Hangup"), ("Uniqueid", "call-1")]))
    async with asyncio.timeout(5):
        while events.queue.qsize() or not tracker.pending:
            await asyncio.sleep(0.01)
    # The engine stops now, as `make demo` did right after its last scene's call.
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    (record,) = await recordings.for_uniqueid("call-1")
    assert record.duration == 3.0
