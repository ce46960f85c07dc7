"""Issue 21 (a full disk): a recording MixMonitor could not write (the disk was full when
it started: an empty file, not even its header) is not kept as a good recording.  When the
call hangs up (the queue tracker) or at the engine's next look at the day folders (the call
ended while the engine was away), the empty file is removed, its index row marked unwritten
(out of the listings, no duration) and an alert logged; a recording with content is kept."""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.contact_center.recording_completion import FILE_CLOSE_SECONDS, complete
from hotline.contact_center.recording_index import SETTLE_SECONDS, index_missed
from hotline.contact_center.recordings import WAV_BYTES_PER_SECOND, WAV_HEADER_BYTES
from hotline.settings import load_settings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection
from hotline.store.recordings import Recordings

NOW = datetime(2026, 12, 3, 22, 30, tzinfo=UTC)


def _file(path: Path, size: int, age: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * size)
    stamp = (NOW - timedelta(seconds=age)).timestamp()
    os.utime(path, (stamp, stamp))
    return path


async def test_an_empty_recording_is_discarded_at_hang_up(
    db: Database, call_log: CallLog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await call_log.open(uniqueid="1796340928.100", direction=CallDirection.INBOUND, caller="7")
    await call_log.open(uniqueid="1796340929.101", direction=CallDirection.INBOUND, caller="7")
    empty = _file(tmp_path / "1796340928.100.wav", 0, age=2)
    good = _file(tmp_path / "1796340929.101.wav", WAV_HEADER_BYTES + WAV_BYTES_PER_SECOND, 2)
    recordings = Recordings(db)
    await recordings.started("1796340928.100", str(empty), caller=None)
    await recordings.started("1796340929.101", str(good), caller=None)

    with caplog.at_level(logging.ERROR):
        await complete(recordings, ["1796340928.100"], FILE_CLOSE_SECONDS)
        await complete(recordings, ["1796340929.101"], FILE_CLOSE_SECONDS)

    assert not empty.exists()
    listed = {r.path: r for r in await recordings.find()}
    assert set(listed) == {str(good)}  # the unwritten one is no good recording
    assert listed[str(good)].duration == 1.0
    (row,) = await recordings.for_uniqueid("1796340928.100")
    assert row.purged_at is not None and row.duration == 0.0
    assert any("ALERT recordings" in r.getMessage() for r in caplog.records)


async def test_the_folder_look_discards_empty_files_and_adopts_none(
    db: Database, call_log: CallLog, tmp_path: Path
) -> None:
    settings = load_settings(overrides={"paths": {"recordings_dir": str(tmp_path)}})
    day = tmp_path / "2026" / "12" / "03"
    indexed = _file(day / "1796340980.4.wav", 0, age=60)  # IVR-indexed, engine away at hang-up
    orphan = _file(day / "1796340981.5.wav", 0, age=60)  # the dialplan's, engine away
    written = _file(day / "1796340986.6.wav", WAV_HEADER_BYTES + 2 * WAV_BYTES_PER_SECOND, 60)
    recordings = Recordings(db)
    await recordings.started("1796340980.4", str(indexed), caller=None)

    assert await index_missed(settings, recordings, NOW) == 1  # the written one only
    assert not indexed.exists() and not orphan.exists()
    assert [r.path for r in await recordings.find()] == [str(written)]
    rows = {r.path: r for r in await recordings.find(include_purged=True)}
    assert set(rows) == {str(indexed), str(written)}
    assert rows[str(indexed)].purged_at is not None
    later = NOW + timedelta(seconds=SETTLE_SECONDS)
    assert await index_missed(settings, recordings, later) == 0


async def test_a_recording_whose_file_comes_late_still_gets_its_duration(
    db: Database, call_log: CallLog, tmp_path: Path
) -> None:
    # On a loaded machine MixMonitor had not opened the file a second after the hang-up: the
    # recording kept no duration.  The tracker now waits for the file to be there and still.
    await call_log.open(uniqueid="1796340930.102", direction=CallDirection.INBOUND, caller="7")
    path = tmp_path / "1796340930.102.wav"
    recordings = Recordings(db)
    await recordings.started("1796340930.102", str(path), caller=None)
    finishing = asyncio.create_task(complete(recordings, ["1796340930.102"], 60.0))
    await asyncio.sleep(0.6)  # MixMonitor's thread has not written it yet
    assert not finishing.done()
    _file(path, WAV_HEADER_BYTES + 2 * WAV_BYTES_PER_SECOND, age=0)
    await asyncio.wait_for(finishing, 60.0)
    (row,) = await recordings.for_uniqueid("1796340930.102")
    assert row.duration == 2.0
