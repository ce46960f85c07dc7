"""Issue 19 item 1: between the recording notice and the main menu the IVR sets the call id,
the notice mark and the recording's file in one round trip (EXEC MSet) when the values are
plain, and one SET VARIABLE each when MSet would change them (or Asterisk lacks it)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from hotline.contact_center.recording_start import (
    prepare_recording,
    recording_planned,
    start_recording,
)
from hotline.dialplan.names import ChannelVar, NoticeBy
from hotline.protocol.agi import AgiHangup, mset_data, mset_split
from hotline.settings import Settings, load_settings
from hotline.store.recordings import Recordings
from hotline.transport.agi_call import AgiCall
from ivr.menu.walk import Waiting, Walk


def test_plain_values_go_in_one_mset_others_do_not() -> None:
    assert mset_data({"A": "1", "B": "/var/rec/2026/12/04/ab12.wav"}) == (
        "A=1,B=/var/rec/2026/12/04/ab12.wav"
    )
    for value in ("a,b", 'a"b', "a\\b", "a=b", "f(x)", "", "two words", "a\nb"):
        assert mset_data({"A": "1", "B": value}) is None, value


class Asterisk:
    """An AGI peer that answers every command with ``result`` and keeps the lines sent."""

    def __init__(self, result: str = "0") -> None:
        self.lines: list[str] = []
        self.result = result

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            self.lines.append(line.decode().rstrip("\n"))
            answer = self.result if line.startswith(b"EXEC MSet") else "1"
            writer.write(f"200 result={answer}\n".encode())
            await writer.drain()


async def commands_sent(values: dict[str, str], result: str = "0") -> list[str]:
    peer = Asterisk(result)
    server = await asyncio.start_server(peer.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        env = SimpleNamespace(uniqueid="1.1", arguments=(), channel="PJSIP/x-1", route="ivr")
        call = AgiCall(cast(Any, env), reader, writer, command_timeout=5.0)
        await call.set_variables(values)
    finally:
        writer.close()
        server.close()
    return peer.lines


async def test_plain_variables_take_one_round_trip() -> None:
    lines = await commands_sent({ChannelVar.CALL_ID: "c1", ChannelVar.RECORDING_NOTICE: "ivr"})
    assert lines == ["EXEC MSet HOTLINE_CALL_ID=c1,HOTLINE_RECORDING_NOTICE=ivr"]


async def test_other_values_or_no_mset_fall_back_to_one_set_variable_each() -> None:
    lines = await commands_sent({ChannelVar.CALL_ID: "", ChannelVar.RECORDING_NOTICE: "ivr"})
    assert lines == [
        f'SET VARIABLE {ChannelVar.CALL_ID} ""',
        f"SET VARIABLE {ChannelVar.RECORDING_NOTICE} ivr",
    ]
    lines = await commands_sent({"A": "1", "B": "2"}, result="-2")  # no such application
    assert lines == ["EXEC MSet A=1,B=2", "SET VARIABLE A 1", "SET VARIABLE B 2"]


class Agi:
    def __init__(self) -> None:
        self.env = SimpleNamespace(uniqueid="1.1", callerid="79131234567")
        self.commands: list[tuple[str, Any]] = []

    async def exec(self, application: str, data: str) -> int:
        self.commands.append(("EXEC " + application, data))
        return 0

    async def set_variable(self, name: str, value: str) -> None:
        self.commands.append(("SET", {name: value}))

    async def set_variables(self, values: dict[str, str]) -> None:
        self.commands.append(("SET MANY", dict(values)))


def recording_settings(tmp_path: Path, recorded: bool) -> Settings:
    return load_settings(
        environ={},
        overrides={
            "paths": {"recordings_dir": str(tmp_path / "recordings")},
            "recording": {"enabled": recorded},
        },
    )


@pytest.mark.parametrize("recorded", [True, False])
async def test_the_recording_and_the_ivrs_variables_take_two_round_trips(
    tmp_path: Path, recorded: bool
) -> None:
    settings = recording_settings(tmp_path, recorded)
    agi = Agi()
    channel: dict[str, str] = {
        ChannelVar.CALL_ID: "call-9",
        ChannelVar.RECORDING_NOTICE: NoticeBy.IVR,
    }
    recordings = cast(Recordings, SimpleNamespace())
    await start_recording(
        cast(AgiCall, agi),
        settings,
        recordings,
        call_id="call-9",
        defer=lambda what, write: None,
        channel=channel,
    )
    if not recorded:  # the variables are set all the same
        assert agi.commands == [("SET MANY", channel)]
        return
    (mix, mix_path), (verb, values) = agi.commands
    assert mix == "EXEC MixMonitor" and mix_path.endswith("/call-9.wav")
    assert verb == "SET MANY" and values == {**channel, ChannelVar.RECORDING: mix_path}


async def test_a_recording_started_is_indexed_though_the_caller_left_before_its_name(
    tmp_path: Path,
) -> None:
    settings = load_settings(
        environ={}, overrides={"paths": {"recordings_dir": str(tmp_path / "recordings")}}
    )
    agi, indexed, deferred = Agi(), [], []

    async def hung_up(values: dict[str, str]) -> None:
        raise AgiHangup("the caller hung up")

    async def started(uniqueid: str, path: str, **_: Any) -> int:
        indexed.append(path)
        return 1

    agi.set_variables = hung_up  # type: ignore[method-assign]
    await start_recording(
        cast(AgiCall, agi),
        settings,
        cast(Recordings, SimpleNamespace(index_soon=started)),
        call_id="call-9",
        defer=lambda what, write: deferred.append(write),
        channel={ChannelVar.CALL_ID: "call-9"},
    )
    assert len(deferred) == 1  # MixMonitor writes the file: its row is on its way
    await deferred[0]()
    assert indexed and indexed[0].endswith("/call-9.wav")


def test_the_plain_ones_go_in_one_mset_the_others_one_by_one() -> None:
    assert mset_split({"A": "1", "B": "", "C": "x/y"}) == ("A=1,C=x/y", {"B": ""})
    assert mset_split({"A": "1", "B": ""}) == (None, {"A": "1", "B": ""})  # one is no MSet
    assert mset_split({"A": "a,b", "B": "c d"}) == (None, {"A": "a,b", "B": "c d"})


async def test_a_value_mset_cannot_take_costs_one_set_variable_not_all_of_them() -> None:
    lines = await commands_sent({"A": "1", "B": "a,b", "C": "2"})
    assert lines == ["EXEC MSet A=1,C=2", "SET VARIABLE B a,b"]


@pytest.mark.parametrize("recorded", [True, False])
async def test_the_recording_is_made_ready_ahead_and_started_with_it(
    tmp_path: Path, recorded: bool
) -> None:
    # Issue 19 item 1: prepared while the greeting plays, the recording needs no hop to a
    # thread after the notice: only MixMonitor, then the variables.
    settings = recording_settings(tmp_path, recorded)
    prepared = await prepare_recording(settings, "call-9")
    assert prepared is not None and prepared.path.parent.is_dir()
    assert recording_planned(settings, prepared) == (prepared.path if recorded else None)
    agi = Agi()
    channel: dict[str, str] = {
        ChannelVar.CALL_ID: "call-9",
        ChannelVar.RECORDING_NOTICE: NoticeBy.IVR,
    }
    await start_recording(
        cast(AgiCall, agi),
        settings,
        cast(Recordings, SimpleNamespace()),
        call_id="call-9",
        defer=lambda what, write: None,
        channel=channel,
        prepared=prepared,
    )
    if not recorded:
        assert agi.commands == [("SET MANY", channel)]
        return
    assert agi.commands == [
        ("EXEC MixMonitor", str(prepared.path)),
        ("SET MANY", {**channel, ChannelVar.RECORDING: str(prepared.path)}),
    ]


@pytest.mark.parametrize("result", [0, -1, None])
async def test_the_engines_walk_runs_what_the_start_left_one_reply_at_a_time(
    result: int | None,
) -> None:
    # The engine walking the menu itself: MixMonitor, then the variables, before anything
    # else.  A recording that did not start (-1, or the command failed) is not named on the
    # channel, so the operator context records the call, and it is not indexed.
    commands: list[tuple[str, Any]] = []
    deferred: list[str] = []

    async def exec_(application: str, data: str) -> int:
        commands.append(("EXEC " + application, data))
        if result is None:
            raise AgiHangup("the caller hung up")
        return result

    async def set_variables(values: dict[str, str]) -> None:
        commands.append(("SET MANY", dict(values)))

    async def index() -> None:
        return None

    agi = SimpleNamespace(exec=exec_, set_variables=set_variables)
    call = SimpleNamespace(agi=agi, defer=lambda what, write: deferred.append(what))
    channel: dict[str, str] = {ChannelVar.CALL_ID: "call-9", ChannelVar.RECORDING: "/r/call-9.wav"}
    walk = Walk(cast(Any, call), False, ["main"], cast(Any, None))
    walk.waiting = Waiting([("MixMonitor", "/r/call-9.wav")], dict(channel), index)
    await walk.run_waiting()
    started = result == 0
    expected = channel if started else {ChannelVar.CALL_ID: "call-9"}
    assert commands == [("EXEC MixMonitor", "/r/call-9.wav"), ("SET MANY", expected)]
    assert deferred == (["the recording's index row"] if started else [])
    assert walk.waiting == Waiting()  # run once
