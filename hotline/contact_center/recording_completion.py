"""Recordings completed at their calls' hang-ups: duration, operator, account and call filled in
once MixMonitor has closed the file (issue 18), for the calls that hung up together at once.

A hang-up burst (an outage storm's callers leaving, a trunk dropping) completed each call on
its own: a settle wait, a query, two looks at the file each in a thread of its own and an
update, per call (issue 19 item 1: a tenth of the engine's loop per call in the SIP bench).
Now the calls whose settle time has passed are completed together: one query, one look at
all their files per round, one transaction for the updates.  Each call still waits its own
settle time after its hang-up, and each file still has to hold its size still over one look.

A WAV file Asterisk has closed says so itself: format_wav writes the data length into the
header only when it closes the file (0 from the open on), so a header whose length matches the
file's size is a finished recording, whatever the settle time says.  A stopping engine
completes those at once (a stop waited the settle time and two looks, 1.2 s, after every last
call: an eighth of an end-to-end test's time); a file without such a header is waited for as
before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

from hotline.contact_center.recordings import WAV_HEADER_BYTES, discard_unwritten, wav_duration
from hotline.store.recordings import Recordings

log = logging.getLogger(__name__)

# MixMonitor closes its file a moment after the hang-up; wait this long for it.
FILE_SETTLE_SECONDS: Final = 1.0
# Then at most this long for the file to be there and hold its size (a loaded machine).
FILE_CLOSE_SECONDS: Final = 5.0
FILE_LOOK_SECONDS: Final = 0.25
# Calls completed together at most.
BATCH: Final = 500


def file_states(paths: Sequence[Path]) -> list[tuple[int | None, bool]]:
    """Each file's size in bytes (None: not there) and whether Asterisk has closed it
    (:func:`closed_wav`).  Blocking: run it in a thread."""
    states: list[tuple[int | None, bool]] = []
    for path in paths:
        try:
            with path.open("rb") as file:
                size = os.fstat(file.fileno()).st_size
                header = file.read(WAV_HEADER_BYTES)
        except FileNotFoundError:
            states.append((None, False))
        except PermissionError:  # a file this process may not read: its size, as before
            states.append((_size(path), False))
        else:
            states.append((size, closed_wav(header, size)))
    return states


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def closed_wav(header: bytes, size: int) -> bool:
    """Whether a WAV file of ``size`` bytes starting with ``header`` was closed by Asterisk:
    format_wav writes a zero data length at the open and the real one only at the close
    (``update_header``), so only a closed file's header matches its size.  A file with no
    audio, or that is not a RIFF WAV, never counts as closed here."""
    if size <= WAV_HEADER_BYTES or len(header) < WAV_HEADER_BYTES:
        return False
    if header[:4] != b"RIFF" or header[36:40] != b"data":
        return False
    return int.from_bytes(header[40:44], "little") == size - WAV_HEADER_BYTES


async def closed_files(
    paths: Sequence[Path],
    within: float,
    look: float = FILE_LOOK_SECONDS,
    ready_at: Sequence[float] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[list[tuple[int, int | None]]]:
    """The files (index, size) as they are done, a round of looks at a time: once Asterisk
    has closed one (its WAV header says so), or once it is there, its ``ready_at`` has passed
    (on ``clock``: the settle time after its hang-up; None: now) and its size held still over
    one ``look``; after ``within`` seconds the rest with their last sizes (None: not there).
    One thread hop per look for all the files.  MixMonitor writes from its own thread and
    opens the file at its first frame: a second after the hang-up it may not be there yet on
    a loaded machine (CI, stop 33)."""
    deadline = time.monotonic() + within
    last: list[int | None] = [None] * len(paths)
    looking = list(range(len(paths)))
    while looking:
        states = await asyncio.to_thread(file_states, [paths[i] for i in looking])
        now = clock()
        done, waiting = [], []
        for i, (size, closed) in zip(looking, states, strict=True):
            settling = ready_at is not None and now < ready_at[i]
            if closed or not (size is None or size != last[i] or settling):
                done.append((i, size))
            else:
                waiting.append(i)
            last[i] = size
        if waiting and time.monotonic() >= deadline:
            done += [(i, last[i]) for i in waiting]
            waiting = []
        if done:
            yield done
        looking = waiting
        if looking:
            await asyncio.sleep(look)


async def complete(
    recordings: Recordings,
    uniqueids: Sequence[str],
    within: float,
    ready_at: Mapping[str, float] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Fill in the recordings of these calls, which have hung up: one query, the files' sizes,
    one transaction for the files done at each round of looks (:func:`closed_files`; usually
    one).  An empty file (the disk was full) is not kept.  ``ready_at``: when each call's
    settle time is over, for a file Asterisk has not yet closed (None: over)."""
    found = await recordings.to_complete_many(uniqueids)
    done = [(uniqueid, c, r) for uniqueid, c in found.items() for r in c.recordings]
    if not done:
        return
    paths = [Path(record.path) for _u, _c, record in done]
    ready = None if ready_at is None else [ready_at.get(u, 0.0) for u, _c, _r in done]
    async for files in closed_files(paths, within, ready_at=ready, clock=clock):
        updates = []
        for index, size in files:
            uniqueid, completion, record = done[index]
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
        # Set by stop(): every call pending is looked at now, not after its settle time.
        self._hurry = asyncio.Event()

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
        left its recording without a duration, issue 18).  The files Asterisk has closed are
        completed at once; the others still wait for their settle time."""
        task = self._task
        if task is None:
            return
        self._hurry.set()
        done, _ = await asyncio.wait({task}, timeout=within)
        if not done:
            task.cancel()
            log.warning("recordings of %d calls left incomplete at stop", self.pending)

    async def _run(self) -> None:
        try:
            while self._due:
                wait = self._due[0][0] - self._clock()
                if wait > 0 and not self._hurry.is_set():
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(wait):
                            await self._hurry.wait()
                hurry, now = self._hurry.is_set(), self._clock()
                batch: dict[str, float] = {}
                while self._due and (hurry or self._due[0][0] <= now) and len(batch) < BATCH:
                    ready_at, uniqueid = self._due.popleft()
                    batch[uniqueid] = ready_at
                self._completing = len(batch)
                try:
                    await complete(
                        self._recordings, list(batch), self._close_within, batch, self._clock
                    )
                except Exception:
                    log.exception("could not complete the recordings of %d calls", len(batch))
                finally:
                    self._completing = 0
        finally:
            self._task = None
