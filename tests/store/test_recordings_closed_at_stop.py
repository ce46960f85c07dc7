"""A stopping engine completes the recordings Asterisk has closed at once (issue 19 item 5: the
settle time and two looks after every last call were 1.2 s of every end-to-end test's stop),
and still waits the settle time for a file whose WAV header does not say it is closed.  On
SQLite and PostgreSQL.

Checked against the old code: the stop waited the closed file's settle time as well."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from hotline.contact_center.recording_completion import (
    RecordingCompletion,
    closed_wav,
    file_states,
)
from hotline.contact_center.recordings import WAV_BYTES_PER_SECOND, WAV_HEADER_BYTES
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection
from hotline.store.recordings import Recordings

CLOSED, WRITING = "1800000200.1", "1800000200.2"
# Far beyond any test's run: only the header can let a file through before it.
SETTLE = 3600.0


def wav(seconds: float, *, closed: bool) -> bytes:
    """A WAV file as format_wav leaves it: the data length 0 from the open, the real one only
    once the file is closed."""
    data = int(seconds * WAV_BYTES_PER_SECOND)
    length = data if closed else 0
    header = (
        b"RIFF"
        + (36 + length).to_bytes(4, "little")
        + b"WAVEfmt "
        + (16).to_bytes(4, "little")
        + bytes.fromhex("01000100401f0000803e000002001000")
        + b"data"
        + length.to_bytes(4, "little")
    )
    assert len(header) == WAV_HEADER_BYTES
    return header + b"\0" * data


@pytest.mark.parametrize(
    ("content", "closed"),
    [
        (wav(2, closed=True), True),
        (wav(2, closed=False), False),  # still being written
        (wav(0, closed=True), False),  # no audio: the stability rule decides
        (b"\0" * (WAV_HEADER_BYTES + 100), False),  # not a RIFF WAV
        (wav(2, closed=True)[:-2], False),  # the length says more than the file holds
    ],
)
def test_only_a_header_whose_length_matches_the_file_says_closed(
    content: bytes, closed: bool
) -> None:
    assert closed_wav(content[:WAV_HEADER_BYTES], len(content)) is closed


def test_a_file_this_process_may_not_read_is_looked_at_by_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "other.wav"
    path.write_bytes(wav(1, closed=True))

    def refused(*_args: object, **_kwargs: object) -> None:
        raise PermissionError("not this process's")

    monkeypatch.setattr(Path, "open", refused)
    # Not taken for closed (its header unread), and the settle-and-hold rule decides.
    assert file_states([path, tmp_path / "gone.wav"]) == [
        (len(wav(1, closed=True)), False),
        (None, False),
    ]


async def recorded(call_log: CallLog, recordings: Recordings, folder: Path) -> None:
    for uniqueid, closed in ((CLOSED, True), (WRITING, False)):
        await call_log.open(uniqueid=uniqueid, direction=CallDirection.INBOUND)
        path = folder / f"{uniqueid}.wav"
        path.write_bytes(wav(3, closed=closed))
        await recordings.started(uniqueid, str(path), caller=None)


async def test_a_stop_completes_a_closed_recording_at_once_and_waits_for_an_open_one(
    db: Database, call_log: CallLog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    recordings = Recordings(db)
    await recorded(call_log, recordings, tmp_path)
    completion = RecordingCompletion(recordings, settle=SETTLE)
    completion.hung_up(CLOSED)
    completion.hung_up(WRITING)

    async def duration(uniqueid: str) -> float | None:
        return (await recordings.for_uniqueid(uniqueid))[0].duration

    await asyncio.sleep(0.3)  # no stop yet: both wait for their settle time
    assert [await duration(u) for u in (CLOSED, WRITING)] == [None, None]

    started = time.monotonic()
    await completion.stop(2.0)
    # The closed one at once; the one still being written was given up after the 2 s given
    # (its settle time is an hour away), not completed with a length it may not keep.
    assert await duration(CLOSED) == 3.0
    assert await duration(WRITING) is None
    assert time.monotonic() - started >= 2.0
    assert "left incomplete at stop" in caplog.text


async def test_a_stop_with_only_closed_recordings_does_not_wait_for_their_settle_time(
    db: Database, call_log: CallLog, tmp_path: Path
) -> None:
    recordings = Recordings(db)
    await recorded(call_log, recordings, tmp_path)
    completion = RecordingCompletion(recordings, settle=SETTLE)
    completion.hung_up(CLOSED)
    async with asyncio.timeout(60):  # generous on a loaded machine; an hour without the header
        await completion.stop(SETTLE)
    assert (await recordings.for_uniqueid(CLOSED))[0].duration == 3.0
    assert completion.pending == 0
