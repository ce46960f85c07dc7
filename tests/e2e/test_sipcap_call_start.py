"""Issue 19 item 1 through the real Asterisk: the caller hears the greeting as soon as the
IVR session starts (the channel's facts come with the AGI request, no GET VARIABLE first), and
between the recording notice and the main menu the engine only starts the recording (its
index row is written while the menu plays, and is there once the call has ended), in two
round trips: MixMonitor, then its file, the call id and the notice mark in one MSet.  The
engine's AMI user is sent no VarSet, nor the call's other events nobody in the engine reads
(ENGINE_UNREAD_EVENTS: its hang-up requests, hangup handler, MixMonitor), the CLI's still is."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.credentials import ami_client
from hotline.dialplan.names import ENGINE_UNREAD_EVENTS, ChannelVar, NoticeBy
from hotline.settings import Settings
from hotline.settings.sections import AmiRole
from hotline.store.db import Database
from hotline.store.recordings import Recordings
from ivr import prompts
from tests.e2e.engine_support import engine_settings, simulator

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("sandbox")]

CALLER = "79131234599"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return engine_settings(tmp_path / "hotline.db")


async def test_the_greeting_comes_first_and_the_menu_right_after_the_notice(
    engine: Engine, settings: Settings
) -> None:
    async with (
        simulator(settings) as (sim, _log, cli),
        ami_client(settings, AmiRole.ENGINE) as engine_user,
    ):
        # The simulator's session is the CLI's user, which watches the variables; a session
        # as the engine's user sees what the engine is sent.
        sub = engine_user.subscribe(("AGIExecStart", *ENGINE_UNREAD_EVENTS), maxsize=10_000)
        watched = cli.subscribe(ENGINE_UNREAD_EVENTS, maxsize=10_000)
        transcript = await sim.run("0", CALLER)  # the main menu, then the operator
        events, varsets = [], []
        while not sub.queue.empty():
            events.append(sub.queue.get_nowait())
        while not watched.queue.empty():
            varsets.append(watched.queue.get_nowait())
    assert transcript.call_log is not None
    uniqueid = transcript.call_log["uniqueid"]
    commands = [
        e.get("command") for e in events if e.uniqueid == uniqueid and e.name == "AGIExecStart"
    ]
    verbs = [" ".join(c.split()[:2]).upper() for c in commands]
    # The first command is the greeting, the notice with it: no round trip before the caller
    # hears either.
    assert verbs[0] == "EXEC PLAYBACK" and "greeting" in commands[0]
    assert prompts.RECORDING_NOTICE in commands[0]
    notice = next(i for i, c in enumerate(commands) if prompts.RECORDING_NOTICE in c)
    menu = next(i for i, c in enumerate(commands) if "ivr.main" in c)
    between = verbs[notice + 1 : menu]
    # Only what the channel needs, in two round trips: MixMonitor, then the call id, the
    # notice mark and the file in one MSet.
    assert "GET VARIABLE" not in verbs[:menu]
    assert between == ["EXEC MIXMONITOR", "EXEC MSET"]
    # Asterisk sent the engine's user none of those events; the CLI's user got the call's.
    assert [e.name for e in events if e.name != "AGIExecStart"] == []
    made = {e.name for e in varsets if e.uniqueid == uniqueid}
    assert {"VarSet", "HangupRequest", "SoftHangupRequest", "MixMonitorStart"} <= made, made
    variables = {
        e.get("variable"): e.get("value")
        for e in varsets
        if e.uniqueid == uniqueid and e.name == "VarSet"
    }
    call_id = transcript.call_log["id"]
    assert variables[ChannelVar.CALL_ID] == call_id
    assert variables[ChannelVar.RECORDING_NOTICE] == NoticeBy.IVR
    assert variables[ChannelVar.RECORDING].endswith(f"/{call_id}.wav")
    # The index row, written while the menu played, is there once the call has ended.
    db = Database.from_settings(settings)
    try:
        found = await Recordings(db).find(caller=CALLER)
    finally:
        await db.dispose()
    assert [r.uniqueid for r in found] == [uniqueid]
