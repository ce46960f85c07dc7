"""Issue 19 item 1, the menu's levels in dialplan: the hand-over to a level ends the AGI
session at once, so the caller is on the level while the session settles its store writes
after (the call start awaited the recording's index row, queued behind a burst of call starts:
the main menu came 0.5-0.9 s late).  And the engine's AMI user gets ``config`` write (the
dialplan reload of the rendered levels) only where the levels are in dialplan."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from hotline.contact_center.recordings import WAV_HEADER_BYTES
from hotline.dialplan.asterisk_config import RenderOptions, render_configs
from hotline.dialplan.names import ChannelVar, IvrStatus, NoticeBy
from hotline.protocol.agi import AgiHangup, AgiProtocolError
from hotline.settings import Settings, load_settings
from hotline.speech.library import Sound
from hotline.transport.agi_call import AgiCall
from ivr.call import IvrCall
from ivr.menu.handover import Levels, hand_over
from ivr.menu.walk import Waiting, opening_logged

DEAD_CHANNEL = b"511 Command Not Permitted on a dead channel or intercepted\n"
SECRETS = ("engine-secret", "console-secret", "cli-secret")


class Asterisk:
    """An AGI peer answering every command, keeping the lines, noting when the engine closed."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.closed = asyncio.Event()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            self.lines.append(line.decode().rstrip("\n"))
            writer.write(b"200 result=0\n")
            await writer.drain()
        self.closed.set()  # EOF: Asterisk's AGI() returns and the dialplan goes on
        writer.close()


async def test_the_hand_over_does_not_wait_for_the_calls_deferred_writes(
    tmp_path: Path,
) -> None:
    peer = Asterisk()
    server = await asyncio.start_server(peer.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    settings = load_settings()
    index_row: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    try:
        env = SimpleNamespace(uniqueid="1.1", arguments=(), channel="PJSIP/x-1", route="ivr")
        agi = AgiCall(cast(Any, env), reader, writer, command_timeout=5.0)
        call = IvrCall(agi, cast(Any, None), cast(Any, None), cast(Any, None))
        call.defer("the recording's index row", lambda: index_row)  # a store that is slow
        levels = Levels(settings, cast(Any, None), cast(Any, None), tmp_path)
        walk = SimpleNamespace(
            first_time=False, hinted=False, invalid=0, silent=0, emergency=False, waiting=Waiting()
        )
        async with asyncio.timeout(5):
            await hand_over(call, levels, "abc123", "main", walk)
            await peer.closed.wait()  # the session ended with the write still pending
        assert not index_row.done()
        assert len(peer.lines) == 1 and peer.lines[0].startswith("EXEC MSet ")
        assert f"{ChannelVar.STATUS}={IvrStatus.MENU}" in peer.lines[0]
        with pytest.raises(AgiProtocolError, match="handed back to the dialplan"):
            await agi.get_variable(ChannelVar.NODE)  # nothing more goes to that channel
        index_row.set_result(None)
        async with asyncio.timeout(5):
            await call.settle()  # the session's task still settles the write
    finally:
        writer.close()
        server.close()


class LateAsterisk:
    """An AGI peer that answers nothing until the engine's end of stream, then each line read
    (the first with ``first``): an engine that waited for a reply would wait forever."""

    def __init__(self, first: bytes) -> None:
        self.lines: list[str] = []
        self.first = first

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            self.lines.append(line.decode().rstrip("\n"))
        for number in range(len(self.lines)):
            writer.write(self.first if number == 0 else b"200 result=0\n")
        await writer.drain()
        writer.close()


@pytest.mark.parametrize(
    ("call_id", "first"),
    [("c0ffee", b"200 result=0\n"), ("", b"200 result=0\n"), ("c0ffee", DEAD_CHANNEL)],
)
async def test_the_call_starts_commands_go_with_the_hand_over_at_once(
    tmp_path: Path, call_id: str, first: bytes
) -> None:
    # Issue 19 item 1: what the call's start left (MixMonitor, the call id, the notice mark,
    # the recording's file) and the hand-over's variables are written together, followed by
    # the end of the stream, no reply waited for.  An empty call id (the store was out)
    # cannot go in MSet: it gets a SET VARIABLE.  The recording is indexed once MixMonitor's
    # reply says it ran (not when the caller had left: 511).
    peer = LateAsterisk(first)
    server = await asyncio.start_server(peer.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    recording = "/var/rec/2026/12/07/c0ffee.wav"
    variables: dict[str, str] = {
        ChannelVar.CALL_ID: call_id,
        ChannelVar.RECORDING_NOTICE: NoticeBy.IVR,
        ChannelVar.RECORDING: recording,
    }
    indexed: list[str] = []

    async def index() -> None:
        indexed.append(recording)

    waiting = Waiting([("MixMonitor", recording)], variables, index)
    try:
        env = SimpleNamespace(uniqueid="1.1", arguments=(), channel="PJSIP/x-1", route="ivr")
        agi = AgiCall(cast(Any, env), reader, writer, command_timeout=5.0)
        call = IvrCall(agi, cast(Any, None), cast(Any, None), cast(Any, None))
        levels = Levels(load_settings(), cast(Any, None), cast(Any, None), tmp_path)
        walk = SimpleNamespace(
            first_time=True, hinted=False, invalid=0, silent=0, emergency=False, waiting=waiting
        )
        async with asyncio.timeout(5):
            await hand_over(call, levels, "abc123", "main", walk)
            await call.settle()  # the index row's write, after the replies
            assert agi.handed_back is not None
            replies = await agi.handed_back.replies()
    finally:
        writer.close()
        server.close()
    assert peer.lines[0] == f"EXEC MixMonitor {recording}"
    mset = peer.lines[1]
    assert mset.startswith("EXEC MSet ") and f"{ChannelVar.STATUS}={IvrStatus.MENU}" in mset
    for name, value in variables.items():
        if value:
            assert f"{name}={value}" in mset
    assert peer.lines[2:] == ([] if call_id else [f'SET VARIABLE {ChannelVar.CALL_ID} ""'])
    assert len(replies) == len(peer.lines)
    assert indexed == ([recording] if first != DEAD_CHANNEL else [])


def _engine_write(settings: Settings, *, sandbox: bool) -> list[str]:
    conf = render_configs(settings, RenderOptions(*SECRETS, sandbox=sandbox))["manager.conf"]
    section = conf.split(f"[{settings.ami.username}]", 1)[1].split("\n[", 1)[0]
    line = next(line for line in section.splitlines() if line.startswith("write ="))
    return line.removeprefix("write =").strip().split(",")


def test_the_engine_may_reload_the_dialplan_only_with_its_levels_there() -> None:
    walk = load_settings()
    levels = load_settings(overrides={"ivr": {"levels": "dialplan"}})
    assert "config" not in _engine_write(walk, sandbox=False)
    assert _engine_write(levels, sandbox=False) == [
        "call",
        "originate",
        "agent",
        "reporting",
        "config",
    ]
    # The sandbox's one Asterisk serves engines of both kinds (tests, benchmarks).
    assert "config" in _engine_write(walk, sandbox=True)
    conf = render_configs(levels, RenderOptions(*SECRETS, sandbox=False))["manager.conf"]
    for user in (levels.ami.console_username, levels.ami.cli_username):
        section = conf.split(f"[{user}]", 1)[1].split("\n[", 1)[0]
        assert "config" not in section.split("write =", 1)[1].splitlines()[0]


class ScriptedAsterisk:
    """An AGI peer that answers nothing until the engine's end of stream, then ``script``:
    an engine that waited for the greeting's Playback before the hand-over would hang."""

    def __init__(self, script: list[bytes]) -> None:
        self.lines: list[str] = []
        self.script = script

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            self.lines.append(line.decode().rstrip("\n"))
        writer.write(b"".join(self.script))
        await writer.drain()
        writer.close()


class Notes:
    """The call log's batched events, kept."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any] | None, Any]] = []

    async def note(
        self, uniqueid: str, kind: str, value: str, detail: Any = None, at: Any = None
    ) -> None:
        self.events.append((kind, value, detail, at))

    async def record_outcome(self, uniqueid: str, kind: str, value: str, outcome: str) -> None:
        self.events.append((kind, value, {"outcome": outcome}, None))


class Library:
    def sound(self, prompt_id: str) -> Sound:
        return Sound(f"/sounds/{prompt_id}", {"greeting": 2.0, "notice": 3.0}[prompt_id])


OK = b"200 result=0\n"
HANGUP = b"HANGUP\n"


@pytest.mark.parametrize(
    ("script", "indexed", "played"),
    [
        # Everything ran: the recording is indexed, both prompts played whole.
        ([OK, OK, OK], True, [2.0, 3.0]),
        # The caller hung up during the greeting: Asterisk 22 runs the EXECs queued behind it
        # on the dead channel ("200 result=0" after HANGUP); MixMonitor's header-only file
        # is removed, nothing is indexed and the notice was not heard.
        ([b"200 result=-1\n", HANGUP, OK, OK], False, None),
    ],
)
async def test_the_greeting_and_notice_go_ahead_and_the_hand_over_follows_unanswered(
    tmp_path: Path, script: list[bytes], indexed: bool, played: list[float] | None
) -> None:
    # Issue 19 item 1: the greeting and the notice are one Playback sent when the session
    # starts; the hand-over (MixMonitor, one MSet, the end of the stream) is written while
    # they play, so Asterisk runs it when the notice ends, without the engine's turn.
    peer = ScriptedAsterisk(script)
    server = await asyncio.start_server(peer.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    recording = tmp_path / "c0ffee.wav"
    recording.write_bytes(b"\0" * WAV_HEADER_BYTES)  # what MixMonitor wrote
    notes, index_rows = Notes(), []

    async def index() -> None:
        index_rows.append(recording)

    try:
        env = SimpleNamespace(uniqueid="1.1", arguments=(), channel="PJSIP/x-1", route="ivr")
        agi = AgiCall(cast(Any, env), reader, writer, command_timeout=5.0)
        call = IvrCall(agi, cast(Any, notes), cast(Any, Library()), cast(Any, None))
        opening = call.play_ahead(("greeting", "notice"))
        waiting = Waiting(
            [("MixMonitor", str(recording))],
            {ChannelVar.CALL_ID: "c0ffee", ChannelVar.RECORDING: str(recording)},
            index,
            opening_logged(call, cast(Any, notes), opening),
        )
        levels = Levels(load_settings(), cast(Any, None), cast(Any, None), tmp_path)
        walk = SimpleNamespace(
            first_time=True, hinted=False, invalid=0, silent=0, emergency=False, waiting=waiting
        )
        async with asyncio.timeout(10):
            await hand_over(call, levels, "abc123", "main", walk)
            await call.settle()
    finally:
        writer.close()
        server.close()
    assert peer.lines[0] == "EXEC Playback /sounds/greeting&/sounds/notice"
    assert peer.lines[1] == f"EXEC MixMonitor {recording}"
    assert peer.lines[2].startswith("EXEC MSet ") and len(peer.lines) == 3
    assert index_rows == ([recording] if indexed else [])
    assert recording.exists() == indexed
    prompts_logged = [
        (value, detail or {}) for kind, value, detail, _ in notes.events if kind == "prompt"
    ]
    assert [value for value, _ in prompts_logged] == ["greeting", "notice"]
    noticed = [value for kind, value, _, _ in notes.events if kind == "recording_notice"]
    if played is not None:
        assert [detail["played"] for _, detail in prompts_logged] == played
        assert noticed == [NoticeBy.IVR]
    else:  # cut at once: the reply came before the greeting's length
        assert all(detail["played"] < 2.0 for _, detail in prompts_logged)
        assert prompts_logged[1][1]["played"] == 0.0
        assert noticed == []
        hung_up = [(value, detail) for kind, value, detail, _ in notes.events if kind == "status"]
        assert hung_up == [("caller hung up", {"outcome": "abandoned"})]


@pytest.mark.parametrize(
    ("script", "hung_up"),
    [([b"200 result=0\n"], False), ([b"200 result=-1\n", HANGUP], True)],
)
async def test_the_engine_waits_for_the_opening_then_goes_on_or_sees_the_hang_up(
    script: list[bytes], hung_up: bool
) -> None:
    # The engine's own walk (and the emergency, outage paths) reads the Playback's reply
    # before its next command.  Playback's -1 comes before Asterisk's HANGUP line: the call
    # is over (AgiHangup, as after STREAM FILE), not a failure sent to the fallback.
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        for line in script:
            writer.write(line)
            await writer.drain()
            await asyncio.sleep(0.05)  # HANGUP follows the reply, as Asterisk sends it
        await reader.read()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    notes = Notes()
    try:
        env = SimpleNamespace(uniqueid="1.1", arguments=(), channel="PJSIP/x-1", route="ivr")
        agi = AgiCall(cast(Any, env), reader, writer, command_timeout=5.0)
        call = IvrCall(agi, cast(Any, notes), cast(Any, Library()), cast(Any, None))
        opening = call.play_ahead(("greeting", "notice"))
        async with asyncio.timeout(5):
            if hung_up:
                with pytest.raises(AgiHangup):
                    await call.played_ahead(opening)
            else:
                await call.played_ahead(opening)
    finally:
        writer.close()
        server.close()
    assert agi.hung_up == hung_up
    played = [(detail or {})["played"] for kind, _, detail, _ in notes.events if kind == "prompt"]
    assert played == ([2.0, 3.0] if not hung_up else [played[0], 0.0])
