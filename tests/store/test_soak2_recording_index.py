"""Issue 21 (R-062): a recording MixMonitor wrote while the engine was away (the dialplan
started it; nobody saw its AMI event or could write its row) is indexed by the engine's
next look at the recent day folders, with its call and duration; a file still being
written is left for the queue tracker; a second look adds nothing."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hotline.contact_center.recording_index import SETTLE_SECONDS, index_missed
from hotline.contact_center.recordings import WAV_BYTES_PER_SECOND, WAV_HEADER_BYTES
from hotline.settings import load_settings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection
from hotline.store.recordings import Recordings, Unindexed

NOW = datetime(2026, 12, 3, 22, 30, tzinfo=UTC)


def _wav(path: Path, seconds: int, age: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * (WAV_HEADER_BYTES + seconds * WAV_BYTES_PER_SECOND))
    stamp = (NOW - timedelta(seconds=age)).timestamp()
    os.utime(path, (stamp, stamp))
    return path


async def test_recordings_made_while_the_engine_was_away_are_indexed(
    db: Database, call_log: CallLog, tmp_path: Path
) -> None:
    settings = load_settings(overrides={"paths": {"recordings_dir": str(tmp_path)}})
    day = tmp_path / "2026" / "12" / "03"
    yesterday = tmp_path / "2026" / "12" / "02"
    call_id = await call_log.open(
        uniqueid="1796335605.120", direction=CallDirection.INBOUND, caller="79135550001"
    )
    missed = _wav(day / "1796335605.120.wav", 12, age=60)  # the dialplan's, engine away
    unknown = _wav(yesterday / "1796335000.7.wav", 3, age=3600)  # no call row either
    indexed = _wav(day / "1796335700.1.wav", 5, age=60)
    live = _wav(day / "1796335800.2.wav", 1, age=SETTLE_SECONDS / 2)  # still being written
    recordings = Recordings(db)
    await recordings.started("1796335700.1", str(indexed), caller=None)

    assert await index_missed(settings, recordings, NOW) == 2
    rows = {r.path: r for r in await recordings.find(include_purged=True)}
    assert set(rows) == {str(missed), str(unknown), str(indexed)}
    found = rows[str(missed)]
    assert (found.call_id, found.uniqueid, found.caller) == (
        call_id,
        "1796335605.120",
        "79135550001",
    )
    assert found.duration == 12.0
    assert found.started_at == NOW - timedelta(seconds=72)
    orphan = rows[str(unknown)]
    assert (orphan.call_id, orphan.uniqueid, orphan.duration) == (None, "1796335000.7", 3.0)
    assert str(live) not in rows

    assert await index_missed(settings, recordings, NOW) == 0
    later = NOW + timedelta(seconds=SETTLE_SECONDS)
    assert await index_missed(settings, recordings, later) == 1  # the call ended: now it is


async def test_adopt_links_calls_by_uniqueid_or_id_and_skips_paths_indexed_meanwhile(
    db: Database, call_log: CallLog, tmp_path: Path
) -> None:
    """One look's files go in one transaction: a file named after a channel's uniqueid or
    after the call's id gets its call, one named after neither is kept as an orphan, and a
    path the queue tracker indexed since the look began keeps its row and is not counted."""
    by_uniqueid = await call_log.open(
        uniqueid="1796335605.1", direction=CallDirection.INBOUND, caller="79135550001"
    )
    by_id = await call_log.open(
        uniqueid="1796335605.2", direction=CallDirection.INBOUND, caller="79135550002"
    )
    recordings = Recordings(db)
    meanwhile = str(tmp_path / "1796335605.3.wav")
    await recordings.started("1796335605.3", meanwhile, caller="79135550003")
    started = NOW - timedelta(seconds=30)
    found = [
        Unindexed(str(tmp_path / "1796335605.1.wav"), "1796335605.1", started, 4.0),
        Unindexed(str(tmp_path / f"{by_id}.wav"), by_id, started, 5.0),
        Unindexed(meanwhile, "1796335605.3", started, 6.0),
        Unindexed(str(tmp_path / "1796335000.9.wav"), "1796335000.9", started, 7.0),
    ]

    assert await recordings.adopt(found) == 3
    rows = {r.path: r for r in await recordings.find(include_purged=True)}
    assert [(rows[f.path].call_id, rows[f.path].uniqueid, rows[f.path].caller) for f in found] == [
        (by_uniqueid, "1796335605.1", "79135550001"),
        (by_id, "1796335605.2", "79135550002"),
        (None, "1796335605.3", "79135550003"),  # the tracker's row, as it wrote it
        (None, "1796335000.9", None),
    ]
    assert [rows[f.path].duration for f in found] == [4.0, 5.0, None, 7.0]
    assert rows[found[0].path].started_at == started
    assert await recordings.adopt(found) == 0
