"""Issue 19 item 1: between the greeting and the main menu, one AGI round trip.  The engine's
GOSUB runs the call start's subroutine (CONTEXT_CALL_START) to its Return(): Asterisk answers
``100 result=0 Trying...`` at once and ``200 result=0 Gosub complete`` at the end.  The
subroutine marks the channel and records only once the notice has played (R-061, R-062), and
the queue tracker writes the notice's event and the recording's index row from its steps.
The run through the real Asterisk is tests/e2e/test_sipcap_call_start.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest

from bench.sip_menu_walk import CALLER, Recorder, menu_starts
from hotline.contact_center.queue_tracker import QueueTracker
from hotline.dialplan.asterisk_config import RenderOptions, render_configs
from hotline.dialplan.names import CONTEXT_CALL_START, ChannelVar, NoticeBy
from hotline.protocol.agi import AgiHangup, parse_environment
from hotline.protocol.ami import AmiEvent
from hotline.settings import Settings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, EventKind
from hotline.store.queue_events import QueueEvents
from hotline.store.recordings import Recordings
from hotline.transport.agi_deadline import ReadDeadline
from hotline.transport.ami import Subscription
from hotline.transport.fastagi import AgiCall
from tests.fakes.agi_client import asterisk_header

SECRETS = ("engine-secret", "console-secret", "cli-secret")
COMPLETE = b"100 result=0 Trying...\n200 result=0 Gosub complete\n"


class _Writer:
    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data


async def _session(replies: bytes) -> tuple[AgiCall, _Writer, ReadDeadline]:
    reader = asyncio.StreamReader()
    reader.feed_data(replies)
    deadline = ReadDeadline(reader)
    writer = _Writer()
    env = parse_environment(asterisk_header())
    call = AgiCall(
        env, reader, cast(asyncio.StreamWriter, writer), command_timeout=5.0, deadline=deadline
    )
    return call, writer, deadline


async def test_gosub_is_one_round_trip_to_the_subroutines_return() -> None:
    call, writer, deadline = await _session(COMPLETE + b"200 result=0 endpos=800\n")
    try:
        assert await call.gosub(CONTEXT_CALL_START, "s", "/p/ivr.recording_notice", "c1", "")
        assert (
            writer.data == f"GOSUB {CONTEXT_CALL_START} s 1 /p/ivr.recording_notice,c1,\n".encode()
        )
        # The stream is in step: the next command gets its own reply.
        assert (await call.stream_file("/p/ivr.main")).digit is None
    finally:
        deadline.release()


async def test_a_hang_up_inside_the_subroutine_reaches_the_next_command() -> None:
    call, _writer, deadline = await _session(COMPLETE + b"HANGUP\n511 result=-1\n")
    try:
        assert await call.gosub(CONTEXT_CALL_START, "s", "n", "c1", "f")
        with pytest.raises(AgiHangup):
            await call.stream_file("/p/ivr.main")
    finally:
        deadline.release()


async def test_a_subroutine_asterisk_cannot_start_is_false() -> None:
    call, _writer, deadline = await _session(b"200 result=-1 Gosub failed\n")
    try:
        assert not await call.gosub(CONTEXT_CALL_START, "s", "n", "c1", "f")
    finally:
        deadline.release()


def _subroutine(settings: Settings) -> list[str]:
    text = render_configs(settings, RenderOptions(*SECRETS, sandbox=True))["extensions.conf"]
    body = text.split(f"[{CONTEXT_CALL_START}]", 1)[1].split("\n[", 1)[0]
    return [line.strip() for line in body.splitlines() if line.strip().startswith(("ex", "sa"))]


def test_the_subroutine_marks_and_records_only_after_the_notice_played() -> None:
    lines = _subroutine(Settings())
    assert f"Set({ChannelVar.CALL_ID}=${{ARG2}})" in lines[0]
    assert "Playback(${ARG1})" in lines[1]
    assert "PLAYBACKSTATUS" in lines[2] and lines[2].endswith("?end)")
    assert f"Set({ChannelVar.RECORDING_NOTICE}={NoticeBy.IVR})" in lines[3]
    assert '"${ARG3}" = ""' in lines[4] and lines[4].endswith("?end)")  # not recorded
    assert "MixMonitor(${ARG3})" in lines[5]
    assert f"Set({ChannelVar.RECORDING}=${{ARG3}})" in lines[6]
    assert "(end),Return()" in lines[7] and len(lines) == 8


def event(name: str, **headers: str) -> AmiEvent:
    return AmiEvent.from_headers([("Event", name), *headers.items()])


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'calls.db'}")
    await database.upgrade()
    yield database
    await database.dispose()


async def test_the_queue_tracker_logs_the_subroutines_notice_and_indexes_its_recording(
    db: Database,
) -> None:
    call_log = CallLog(db)
    recordings = Recordings(db)
    tracker = QueueTracker(Subscription(None, 100), QueueEvents(db), recordings, call_log)
    await call_log.open(uniqueid="u-1", direction=CallDirection.INBOUND, caller="79131234567")
    await call_log.open(uniqueid="u-2", direction=CallDirection.INBOUND, caller="79131234568")
    path = "/rec/2026/12/05/c1.wav"
    steps = [
        ("u-1", "Set", f"{ChannelVar.CALL_ID}=c1"),
        ("u-1", "Playback", "/p/ivr.recording_notice"),
        ("u-1", "Set", f"{ChannelVar.RECORDING_NOTICE}={NoticeBy.IVR}"),
        ("u-1", "MixMonitor", path),
        ("u-1", "Set", f"{ChannelVar.RECORDING}={path}"),
        # u-2 hung up during the notice: the subroutine went no further.
        ("u-2", "Set", f"{ChannelVar.CALL_ID}=c2"),
        ("u-2", "Playback", "/p/ivr.recording_notice"),
    ]
    for uniqueid, app, data in steps:
        await tracker.handle(
            event(
                "Newexten",
                Uniqueid=uniqueid,
                Context=CONTEXT_CALL_START,
                Application=app,
                AppData=data,
                CallerIDNum="79131234567",
            )
        )
    heard = await call_log.get(uniqueid="u-1")
    left = await call_log.get(uniqueid="u-2")
    assert heard is not None and left is not None
    assert [e.value for e in heard.events if e.kind == EventKind.RECORDING_NOTICE] == ["ivr"]
    assert not [e for e in left.events if e.kind == EventKind.RECORDING_NOTICE]
    assert [(r.uniqueid, r.path, r.call_id) for r in await recordings.find()] == [
        ("u-1", path, heard.id)
    ]


async def test_the_bench_finds_the_main_menu_after_the_subroutines_notice() -> None:
    """The engine's callers hear the greeting (STREAM FILE), the notice (the subroutine's
    Playback, a Newexten) and then the main menu: the third prompt, as on the twin."""
    sub = Subscription(None, 100)
    recorder = Recorder(sub)
    steps = [
        ("Newexten", {"Context": "hotline-inbound", "Application": "Answer", "AppData": ""}),
        ("AGIExecStart", {"Command": 'STREAM FILE /p/ivr.greeting.day ""'}),
        ("AGIExecStart", {"Command": f"GOSUB {CONTEXT_CALL_START} s 1 /p/n,c1,/r/c1.wav"}),
        (
            "Newexten",
            {"Context": CONTEXT_CALL_START, "Application": "Playback", "AppData": "/p/n"},
        ),
        ("AGIExecStart", {"Command": 'STREAM FILE /p/ivr.main.short "0123456789*#"'}),
    ]
    for n, (name, headers) in enumerate(steps):
        sub.offer(
            event(name, Uniqueid="u-1", CallerIDNum=CALLER, Timestamp=f"{100 + n}.0", **headers)
        )
    task = asyncio.create_task(recorder.run())
    await asyncio.sleep(0.01)
    task.cancel()
    marks = recorder.take()
    assert [m.file for m in marks["u-1"]] == ["/p/ivr.greeting.day", "/p/n", "/p/ivr.main.short"]
    assert menu_starts(marks, recorder.take_entries()) == [4000.0]
