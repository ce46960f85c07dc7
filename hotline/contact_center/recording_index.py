"""Recordings nobody indexed (issue 21, R-062): MixMonitor started by the dialplan while the
engine was away (killed, restarting, its AMI link or its database down: the queue tracker
indexes such a recording from its AMI event, and there was none to see or nowhere to write
it), or an IVR-started one whose index row could not be written.  The engine looks at the
recent day folders every ``resilience.recordings_index_seconds`` and indexes each finished
file the index lacks, with its duration, logging how many it found."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from hotline.contact_center.recordings import (
    WAV_BYTES_PER_SECOND,
    WAV_HEADER_BYTES,
    discard_unwritten,
    recordings_root,
)
from hotline.core.clock import utc_now
from hotline.settings import Settings
from hotline.store.recordings import Recordings, Unindexed

log = logging.getLogger(__name__)

RECENT_DAYS: Final = 2  # today's folder and yesterday's (a call across midnight)
# A file written to this recently may be a call in progress, which the queue tracker (or the
# IVR) is about to index itself: left for the next round.
SETTLE_SECONDS: Final = 10.0
SUFFIX: Final = ".wav"


@dataclass(frozen=True)
class RecordingFile:
    path: Path
    modified: datetime
    size: int

    @property
    def seconds(self) -> float:
        return round(max(self.size - WAV_HEADER_BYTES, 0) / WAV_BYTES_PER_SECOND, 2)


def recent_files(root: Path, now: datetime, days: int = RECENT_DAYS) -> list[RecordingFile]:
    """The recordings in the last ``days`` day folders (recordings/YYYY/MM/DD, UTC) that
    have not been written to for SETTLE_SECONDS (blocking: run it in a thread)."""
    found = []
    for back in range(days):
        folder = root / f"{(now - timedelta(days=back)).astimezone(UTC):%Y/%m/%d}"
        try:
            entries = list(folder.iterdir())
        except FileNotFoundError:
            continue
        for path in entries:
            if path.suffix != SUFFIX or not path.is_file() or path.is_symlink():
                continue
            stat = path.stat()
            modified = datetime.fromtimestamp(stat.st_mtime, UTC)
            if (now - modified).total_seconds() >= SETTLE_SECONDS:
                found.append(RecordingFile(path, modified, stat.st_size))
    return sorted(found, key=lambda f: f.path)


async def index_missed(
    settings: Settings, recordings: Recordings, now: datetime | None = None
) -> int:
    """Index the recent recordings the index lacks; how many it indexed."""
    moment = now or utc_now()
    files = await asyncio.to_thread(recent_files, recordings_root(settings), moment)
    known = await recordings.known_paths([str(f.path) for f in files])
    unindexed = []
    for found in files:
        if found.size == 0:  # MixMonitor could not write it (a full disk): not a recording
            await discard_unwritten(recordings, found.path, found.path.stem)
        elif str(found.path) not in known:
            started = found.modified - timedelta(seconds=found.seconds)
            unindexed.append(Unindexed(str(found.path), found.path.stem, started, found.seconds))
    adopted = await recordings.adopt(unindexed)
    if adopted:
        log.warning(
            "indexed %d recordings nobody had indexed (made while the engine, its AMI link or "
            "its database was away)",
            adopted,
        )
    return adopted


async def keep_index(settings: Settings, recordings: Recordings) -> None:
    """index_missed now and every ``resilience.recordings_index_seconds``; a failure (the
    database away) is logged and tried again next round.  Runs until cancelled."""
    while True:
        try:
            await index_missed(settings, recordings)
        except Exception as exc:
            log.warning("could not index missed recordings: %s", type(exc).__name__)
        await asyncio.sleep(settings.resilience.recordings_index_seconds)
