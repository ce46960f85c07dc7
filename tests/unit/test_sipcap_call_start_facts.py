"""Issue 19 item 1: nothing between the answer and the first prompt, or between the recording
notice and the main menu, waits for a round trip or the store that the caller does not need.

The inbound dialplan passes the channel's facts as AGI arguments (no GET VARIABLE before the
greeting); the recording's index row is a deferred write (in order, done before the call goes
back to the dialplan and before its session ends), and the recording is named by the call id
the IVR already holds."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from sqlalchemy.exc import OperationalError

from hotline.contact_center.recording_start import start_recording
from hotline.dialplan.asterisk_config import RenderOptions, render_configs
from hotline.dialplan.names import IVR_ARGUMENTS, ChannelVar, IvrStatus
from hotline.settings import load_settings
from hotline.speech.library import PromptLibrary
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.recordings import Recordings
from hotline.transport.agi_call import AgiCall
from ivr.call import IvrCall, channel_facts

UNIQUEID = "1700000000.7"


class Agi:
    """The AGI commands a call sends, in order."""

    def __init__(self, arguments: tuple[str, ...] = ()) -> None:
        self.env = SimpleNamespace(
            uniqueid=UNIQUEID, callerid="79131234567", channel="PJSIP/x-1", arguments=arguments
        )
        self.commands: list[str] = []

    async def get_variable(self, name: str) -> str | None:
        self.commands.append(f"GET {name}")
        return {ChannelVar.DNID: "88005553535"}.get(name)

    async def set_variable(self, name: str, value: str) -> None:
        self.commands.append(f"SET {name}")

    async def exec(self, application: str, data: str) -> None:
        self.commands.append(f"EXEC {application}")


class Log:
    """A call log whose writes are recorded (and can be made to fail)."""

    def __init__(self) -> None:
        self.opened: list[dict[str, Any]] = []
        self.writes: list[str] = []

    async def open(self, **row: Any) -> str:
        self.opened.append(row)
        return "call-1"

    async def flush(self, uniqueid: str | None = None) -> None:
        self.writes.append("flush")


def ivr_call(agi: Agi, log: Log) -> IvrCall:
    return IvrCall(
        cast(AgiCall, agi),
        cast(CallLog, log),
        cast(PromptLibrary, None),
        cast(CallbackStore, None),
    )


def test_the_facts_come_from_the_arguments_the_dialplan_passes() -> None:
    assert IVR_ARGUMENTS == (ChannelVar.SIMULATED, ChannelVar.DNID, ChannelVar.MENU_DRAFT)
    assert channel_facts(("", "88005553535", "")) == (False, "88005553535", None)
    # The simulator's: no callee, and the menu draft it may ask for.
    assert channel_facts(("1", "88005553535", "ab12")) == (True, None, "ab12")
    assert channel_facts(("1", "", "")) == (True, None, None)
    assert channel_facts(("", "", "ab12")) == (False, None, None)  # only a simulated call's
    # Not the dialplan's arguments (an older dialplan, a comma in the number): read them.
    assert channel_facts(()) is None
    assert channel_facts(("", "8800", "555", "")) is None


def test_the_inbound_dialplan_passes_the_facts_to_the_ivr_route() -> None:
    settings = load_settings(environ={})
    text = render_configs(settings, RenderOptions("a", "b", "c"))["extensions.conf"]
    ivr_line = next(line for line in text.splitlines() if "AGI(agi://" in line and "/ivr" in line)
    assert ivr_line.endswith("/ivr,${HOTLINE_SIMULATED},${HOTLINE_DNID},${HOTLINE_MENU_DRAFT})")


async def test_the_greeting_waits_for_no_round_trip_when_the_dialplan_passed_the_facts() -> None:
    agi, log = Agi(("", "88005553535", "")), Log()
    call = ivr_call(agi, log)
    await call.start_open()
    await call.opened()
    assert agi.commands == [f"SET {ChannelVar.CALL_ID}"]  # after the notice, not before
    assert log.opened[0]["callee"] == "88005553535" and log.opened[0]["simulated"] is False


async def test_without_the_arguments_the_facts_are_read_from_the_channel() -> None:
    agi, log = Agi(), Log()
    call = ivr_call(agi, log)
    await call.start_open()
    assert agi.commands == [f"GET {ChannelVar.SIMULATED}", f"GET {ChannelVar.DNID}"]
    await call.settle()
    assert log.opened[0]["callee"] == "88005553535"


async def test_deferred_writes_run_in_order_and_are_done_at_hang_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    call = ivr_call(Agi(), Log())
    done: list[str] = []
    release = asyncio.Event()

    def write(name: str, wait: bool = False, fail: bool = False) -> Any:
        async def run() -> None:
            if wait:
                await release.wait()
            if fail:
                raise OperationalError("INSERT", {}, Exception("database is locked"))
            done.append(name)

        return run

    call.defer("first", write("first", wait=True))
    call.defer("lost", write("lost", fail=True))
    call.defer("third", write("third"))
    await asyncio.sleep(0)
    assert done == []  # the second and third wait for the first: the order is kept
    release.set()
    with caplog.at_level(logging.WARNING):
        await call.settle()
    assert done == ["first", "third"]  # a lost write (store out) does not stop the rest
    assert any("lost not written" in r.getMessage() for r in caplog.records)


async def test_the_deferred_writes_are_done_before_the_dialplan_has_the_call() -> None:
    agi, log = Agi(), Log()
    call = ivr_call(agi, log)
    release = asyncio.Event()

    async def index() -> None:
        await release.wait()
        agi.commands.append("INDEXED")

    call.defer("the index row", index)
    asyncio.get_running_loop().call_later(0.01, release.set)
    await call._return_to_dialplan(IvrStatus.DONE)
    assert agi.commands.index("INDEXED") < agi.commands.index(f"SET {ChannelVar.STATUS}")


async def test_the_recording_is_named_by_the_call_id_held_and_indexed_later(
    tmp_path: Path,
) -> None:
    settings = load_settings(
        environ={}, overrides={"paths": {"recordings_dir": str(tmp_path / "recordings")}}
    )
    agi, indexed = Agi(), []
    deferred: list[Any] = []

    async def started(uniqueid: str, path: str, **_: Any) -> int:
        indexed.append(path)
        return 1

    recordings = cast(Recordings, SimpleNamespace(index_soon=started))
    await start_recording(
        cast(AgiCall, agi),
        settings,
        recordings,
        call_id="call-9",
        defer=lambda what, write: deferred.append(write),
    )
    assert agi.commands == ["EXEC MixMonitor", f"SET {ChannelVar.RECORDING}"]  # no GET
    assert indexed == [] and len(deferred) == 1  # the next prompt does not wait for the row
    await deferred[0]()
    assert indexed and indexed[0].endswith("/call-9.wav")
