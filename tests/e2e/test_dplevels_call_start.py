"""The call start in dialplan (``ivr.levels = "dialplan"``, issue 19 item 1) through the real
Asterisk: the engine's first session is one command (the files, the recording's file and
``START`` in one MSet) before the caller hears the greeting; the dialplan plays the greeting
and the notice and starts MixMonitor after the notice (R-061); the engine's second session
(``ready``) hands the call to the main menu's level.  The call log says what the caller heard
as the engine's walk says it, the channel has the call id, the recording is indexed."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.credentials import ami_client
from hotline.dialplan.names import (
    CONTEXT_INBOUND,
    CONTEXT_IVR_NODE,
    ENGINE_UNREAD_CONTEXTS,
    IVR_NODE_READY,
    MENU_CONTEXT_PREFIX,
    ChannelVar,
    IvrStatus,
    NoticeBy,
)
from hotline.settings import Settings
from hotline.settings.sections import AmiRole
from hotline.speech.library import PromptLibrary
from hotline.store.db import Database
from hotline.store.recordings import Recordings
from ivr import prompts
from tests.e2e.engine_support import engine_settings, simulator
from tests.e2e.test_dplevels_menu_calls import installed

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts, pytest.mark.usefixtures("sandbox")]

CALLER = "79131234597"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return engine_settings(tmp_path / "hotline.db", ivr={"levels": "dialplan"})


async def test_the_dialplan_plays_the_start_and_the_engine_hands_over_after_it(
    engine: Engine, settings: Settings
) -> None:
    await installed(engine)
    library = PromptLibrary(settings)
    notice_file = library.sound(prompts.RECORDING_NOTICE).path_without_extension
    async with (
        simulator(settings) as (sim, _log, ami),
        ami_client(settings, AmiRole.ENGINE) as engine_user,
    ):
        # The simulator's session is the CLI's user (it follows the levels' steps).
        sub = ami.subscribe(("AGIExecStart", "Newexten", "VarSet"), maxsize=10_000)
        engines = engine_user.subscribe(("Newexten",), maxsize=10_000)
        transcript = await sim.run("0", CALLER)  # the main menu's level, then the operator
        events, engine_steps = [], []
        while not sub.queue.empty():
            events.append(sub.queue.get_nowait())
        while not engines.queue.empty():
            engine_steps.append(engines.queue.get_nowait())
    varsets = [e for e in events if e.name == "VarSet"]
    assert transcript.call_log is not None
    uniqueid, call_id = transcript.call_log["uniqueid"], transcript.call_log["id"]
    mine = [e for e in events if e.uniqueid == uniqueid]
    # The first session: one command, before any prompt.
    first = next(
        i
        for i, e in enumerate(mine)
        if e.name == "Newexten" and e.get("application") == "Playback"
    )
    commands = [e.get("command") for e in mine[:first] if e.name == "AGIExecStart"]
    assert len(commands) == 1 and commands[0].startswith("EXEC MSet ")
    assert f"{ChannelVar.STATUS}={IvrStatus.START}" in commands[0]
    # The dialplan played the greeting, then the notice, then started the recording.
    steps = [
        (e.get("context"), e.get("application"), e.get("appdata"))
        for e in mine
        if e.name == "Newexten" and e.get("context") == CONTEXT_IVR_NODE
    ]
    apps = [app for _context, app, _data in steps]
    assert apps[:2] == ["Playback", "Playback"]
    assert "greeting" in steps[0][2] and steps[1][2] == notice_file
    assert apps.index("MixMonitor") > 1
    assert any(app == "AGI" and f",{IVR_NODE_READY}," in data for _c, app, data in steps)
    assert transcript.prompts[:2] == [steps[0][2], notice_file]
    # The engine's own user was sent none of the start's or the levels' steps (its trackers
    # read none), only the inbound context's and the operator's.
    contexts = {e.get("context") for e in engine_steps if e.uniqueid == uniqueid}
    assert contexts and not any(c.startswith(ENGINE_UNREAD_CONTEXTS) for c in contexts)
    assert CONTEXT_INBOUND in contexts
    assert any(c.startswith(MENU_CONTEXT_PREFIX) for c in transcript.contexts)
    # The call log as the engine's walk writes it: the greeting node, both prompts played
    # whole, the notice's mark; then the main menu and the operator.
    assert transcript.nodes == ["greeting", "main", "operator"]
    said = [e for e in transcript.call_log["events"] if e["kind"] == "prompt"]
    assert [e["value"] for e in said[:2]][1] == prompts.RECORDING_NOTICE
    for event in said[:2]:
        assert event["detail"]["played"] == pytest.approx(event["detail"]["duration"], abs=0.01)
    marks = [e["value"] for e in transcript.call_log["events"] if e["kind"] == "recording_notice"]
    assert marks == [NoticeBy.IVR]
    # The channel: the call id (with the hand-over), the notice mark, the recording's file.
    variables = {e.get("variable"): e.get("value") for e in varsets if e.uniqueid == uniqueid}
    assert variables[ChannelVar.CALL_ID] == call_id
    assert variables[ChannelVar.RECORDING_NOTICE] == NoticeBy.IVR
    assert variables[ChannelVar.RECORDING].endswith(f"/{uniqueid}.wav")
    db = Database.from_settings(settings)
    try:
        found = await Recordings(db).find(caller=CALLER)
    finally:
        await db.dispose()
    assert [(r.uniqueid, r.call_id) for r in found] == [(uniqueid, call_id)]
