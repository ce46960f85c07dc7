"""Recordings completed at their calls' hang-ups: duration, operator, account and call filled in
once MixMonitor has closed the file (issue 18), for the calls that hung up together at once.

A hang-up burst (an outage storm's callers leaving, a trunk dropping) completed each call on
its own: a settle wait, a query, two looks at the file each in a thread of its own and an
update, per call (issue 19 item 1: a tenth of the engine's loop per call in the SIP bench).
Now the calls whose settle time has passed are completed together: one query, one look at
all their files per round, one transaction for the updates.  Each call still waits its own
settle time after its hang-up, and each file still has to hold its size still over one look.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from hotline.contact_center.recordings import discard_unwritten, wav_duration
from hotline.store.recordings import Recordings

log = logging.getLogger(__name__)

# MixMonitor closes its file a moment after the hang-up; wait this long for it.
FILE_SETTLE_SECONDS: Final = 1.0
# Then at most this long for the file to be there and hold its size (a loaded machine).
FILE_CLOSE_SECONDS: Final = 5.0
FILE_LOOK_SECONDS: Final = 0.25
# Calls completed together at most.
BATCH: Final = 500


def file_sizes(paths: Sequence[Path]) -> list[int | None]:
    """Each file's size in bytes, None where it is not there.  Blocking: run it in a thread."""
    sizes: list[int | None] = []
    for path in paths:
        try:
            sizes.append(path.stat().st_size)
        except FileNotFoundError:
            sizes.append(None)
    return sizes


async def closed_files(
    paths: Sequence[Path], within: float, look: float = FILE_LOOK_SECONDS
) -> list[int | None]:
    """Each file's size once it is there and its size held still over one ``look``, or after
    ``within`` seconds its last size (None: not there).  One thread hop per look for all the
    files.  MixMonitor writes from its own thread and opens the file at its first frame: a
    second after the hang-up it may not be there yet on a loaded machine (CI, stop 33)."""
    deadline = time.monotonic() + within
    last: list[int | None] = [None] * len(paths)
    looking = list(range(len(paths)))
    while True:
        sizes = await asyncio.to_thread(file_sizes, [paths[i] for i in looking])
        changing = []
        for i, size in zip(looking, sizes, strict=True):
            if size is None or size != last[i]:
                changing.append(i)
            last[i] = size
        if not changing or time.monotonic() >= deadline:
            return last
        looking = changing
        await asyncio.sleep(look)


async def complete(recordings: Recordings, uniqueids: Sequence[str], within: float) -> None:
    """Fill in the recordings of these calls, which have hung up: one query, the files' sizes,
    one transaction.  An empty file (the disk was full) is not kept."""
    found = await recordings.to_complete_many(uniqueids)
    done = [(uniqueid, c, r) for uniqueid, c in found.items() for r in c.recordings]
    if not done:
        return
    sizes = await closed_files([Path(record.path) for _u, _c, record in done], within)
    updates = []
    for (uniqueid, completion, record), size in zip(done, sizes, strict=True):
        if size == 0 and await discard_unwritten(recordings, Path(record.path), uniqueid):
            continue
        values = {
            "duration": wav_duration(size),
            "operator": completion.operator,
            "account": completion.account,
            "call_id": record.call_id or completion.call_id,
        }
        updates.append((record.id, values))
    await recordings.update_many(updates)


class RecordingCompletion:
    """The hang-ups of recorded calls, completed in waves (see the module's docstring)."""

    def __init__(
        self,
        recordings: Recordings,
        settle: float = FILE_SETTLE_SECONDS,
        close_within: float = FILE_CLOSE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._recordings = recordings
        self._settle = settle
        self._close_within = close_within
        self._clock = clock
        self._due: deque[tuple[float, str]] = deque()  # (when, uniqueid), oldest first
        self._completing = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Calls whose recordings are waiting for their files or being completed."""
        return len(self._due) + self._completing

    def hung_up(self, uniqueid: str) -> None:
        """A recorded call hung up: complete it once its settle time has passed."""
        self._due.append((self._clock() + self._settle, uniqueid))
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="recordings-completion")

    async def stop(self, within: float) -> None:
        """Complete what is pending for at most ``within`` seconds, then give up the rest (a
        stop must not lose what a hang-up asked for: an engine stopped right after a call
        left its recording without a duration, issue 18)."""
        task = self._task
        if task is None:
            return
        done, _ = await asyncio.wait({task}, timeout=within)
        if not done:
            task.cancel()
            log.warning("recordings of %d calls left incomplete at stop", self.pending)

    async def _run(self) -> None:
        try:
            while self._due:
                wait = self._due[0][0] - self._clock()
                if wait > 0:
                    await asyncio.sleep(wait)
                now = self._clock()
                batch: list[str] = []
                while self._due and self._due[0][0] <= now and len(batch) < BATCH:
                    batch.append(self._due.popleft()[1])
                self._completing = len(batch)
                try:
                    await complete(self._recordings, batch, self._close_within)
                except Exception:
                    log.exception("could not complete the recordings of %d calls", len(batch))
                finally:
                    self._completing = 0
        finally:
            self._task = None
