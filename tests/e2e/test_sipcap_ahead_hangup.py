"""Issue 19 item 1 through the real Asterisk: the greeting and the recording notice are one
Playback sent when the IVR session starts, and the hand-over to the menu's levels (MixMonitor,
one MSet, the end of the stream) is written while they play.  A caller who hangs up during the
greeting leaves no recording: Asterisk 22 still runs the EXECs queued behind the Playback on
the dead channel, and MixMonitor there writes a file of nothing but its header, which the
engine removes; nothing is indexed and the notice is not logged as heard.

Real prompts (not the short ones): the hang-up must come while the greeting plays, a few
seconds long, whatever the machine's load does to the moment the test sees it start."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.contact_center.recordings import recordings_root
from hotline.credentials import ami_client
from hotline.settings import Settings
from hotline.settings.sections import AmiRole
from hotline.store.enums import EventKind
from ivr import prompts
from tests.e2e.engine_support import engine_settings, simulator

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("sandbox")]

CALLER = "79131234597"
# Into the greeting (its real length is seconds) when the test hangs up.
INTO_THE_GREETING = 0.3


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return engine_settings(tmp_path / "hotline.db", ivr={"levels": "dialplan"})


async def test_a_caller_who_hangs_up_during_the_greeting_leaves_no_recording(
    engine: Engine, settings: Settings
) -> None:
    assert engine.flow is not None and engine.flow.levels is not None
    async with asyncio.timeout(10):
        while engine.flow.levels.tag_of(engine.flow.menu) is None:
            await asyncio.sleep(0.1)
    async with (
        simulator(settings) as (sim, _log, _cli),
        ami_client(settings, AmiRole.CLI) as watcher,
    ):
        started = watcher.subscribe(("AGIExecStart",), maxsize=10_000)
        run = asyncio.ensure_future(sim.run("", CALLER))
        async with asyncio.timeout(20):
            while True:
                event = await started.queue.get()
                if event.get("command").startswith("EXEC Playback"):
                    break
        opening = event.get("command")
        await asyncio.sleep(INTO_THE_GREETING)
        await watcher.hangup(event.uniqueid)
        transcript = await asyncio.wait_for(run, 30)
    assert prompts.RECORDING_NOTICE in opening and transcript.uniqueid == event.uniqueid
    async with asyncio.timeout(20):  # the session settled its writes, the file removed
        while engine.server.active_sessions:
            await asyncio.sleep(0.1)
    await engine.call_log.flush()
    record = await engine.call_log.get(uniqueid=event.uniqueid)
    assert record is not None
    assert not list(recordings_root(settings).rglob(f"{record.id}.wav"))
    events = [e for e in record.events if e.kind == EventKind.PROMPT]
    assert await engine.recordings.for_uniqueid(event.uniqueid) == []
    greeting, notice = (e.detail or {} for e in events)
    assert greeting["played"] < greeting["duration"]
    assert notice["played"] == 0.0
    assert [e for e in record.events if e.kind == EventKind.RECORDING_NOTICE] == []
