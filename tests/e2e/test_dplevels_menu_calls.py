"""The menu's levels in dialplan (``ivr.levels = "dialplan"``, issue 19 item 1) through the
real Asterisk: the same walks as the engine's (tests/e2e/test_menu_calls.py) give the same
call-log path, keys and outcome; invalid and silent rounds reach the operator; the levels'
statistics (prompts played, keys with barge_in / timed_out) land in the call log."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from hotline.app import Engine
from hotline.calls.simulator import Transcript
from hotline.credentials import ami_client
from hotline.dialplan.names import (
    CONTEXT_INBOUND,
    CONTEXT_OPERATOR,
    ENGINE_UNREAD_CONTEXTS,
    MENU_CONF,
    MENU_CONTEXT_PREFIX,
    ChannelVar,
    IvrStatus,
    NoticeBy,
    OperatorReason,
)
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.settings.sections import AmiRole
from hotline.store.enums import CallOutcome, EventKind
from ivr import prompts
from tests.e2e.engine_support import engine_settings, simulate

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts, pytest.mark.usefixtures("sandbox")]

CALLER = "79131234568"
DIALPLAN = {"levels": "dialplan"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return engine_settings(tmp_path / "hotline.db", ivr=DIALPLAN)


async def installed(engine: Engine) -> None:
    """The served version's contexts are in Asterisk's dialplan."""
    assert engine.flow is not None and engine.flow.levels is not None
    for _ in range(100):
        if engine.flow.levels.tag_of(engine.flow.menu) is not None:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the menu's levels were not installed")


async def call(settings: Settings, dtmf: str, caller: str = CALLER) -> Transcript:
    return await simulate(settings, dtmf, caller_id=caller)


def events(transcript: Transcript, kind: str) -> list[dict[str, Any]]:
    assert transcript.call_log is not None
    return [e for e in transcript.call_log["events"] if e["kind"] == kind]


def on_levels(transcript: Transcript) -> bool:
    return any(c.startswith(MENU_CONTEXT_PREFIX) for c in transcript.contexts)


@pytest.mark.parametrize(
    ("dtmf", "nodes"),
    [
        ("*w0", ["main", "main", "operator"]),
        ("3w#w0", ["main", "info", "main", "operator"]),
        ("31w*w0", ["main", "info", "info.tariffs", "info", "operator"]),
        ("31w#w0", ["main", "info", "info.tariffs", "main", "operator"]),
        ("9w0", ["main", "main", "operator"]),
    ],
)
async def test_navigation_in_dialplan_gives_the_engines_path(
    engine: Engine, settings: Settings, sandbox: Sandbox, dtmf: str, nodes: list[str]
) -> None:
    await installed(engine)
    assert (sandbox.layout.etc_asterisk / MENU_CONF).is_file()
    transcript = await call(settings, dtmf)
    assert on_levels(transcript), transcript.contexts
    assert transcript.nodes == ["greeting", *nodes]
    assert transcript.outcome == CallOutcome.OPERATOR
    assert transcript.operator_reason == OperatorReason.MENU
    # The keys as the engine logs them: each over a prompt (barge-in) or while waiting.
    keys = [e for e in events(transcript, "digits") if e["value"]]
    assert "".join(e["value"] for e in keys) == dtmf.replace("w", "")
    assert all(e["detail"] in ({"barge_in": True}, {"timed_out": False}) for e in keys)
    # Every prompt with its file, duration and the seconds played.
    played = events(transcript, "prompt")
    assert played[0]["value"] == prompts.GREETING or played[0]["value"].startswith("ivr.")
    for event in played:
        assert {"file", "duration", "played"} <= set(event["detail"])
        assert 0 <= event["detail"]["played"] <= event["detail"]["duration"] + 0.01


async def test_type_ahead_and_an_action_node(engine: Engine, settings: Settings) -> None:
    # 4 then 1 at once: the main menu and the outages menu interrupted, then the action
    # node (the operator, reason outage) runs in the engine.
    await installed(engine)
    transcript = await call(settings, "41")
    assert transcript.nodes == ["greeting", "main", "outages", "outages.report", "operator"]
    assert transcript.operator_reason == OperatorReason.OUTAGE
    interrupted = [e for e in events(transcript, "prompt") if e["value"].startswith("ivr.main")]
    first = interrupted[0]["detail"]
    assert first["played"] < first["duration"]


async def test_invalid_keys_reach_the_operator(engine: Engine, settings: Settings) -> None:
    await installed(engine)
    # max_rounds = 2 (FAST_IVR): 8 gets the notice and the level again, the second 8 the
    # operator, reason no_input.
    transcript = await call(settings, "8w8")
    assert transcript.nodes == ["greeting", "main", "main", "operator"]
    assert transcript.operator_reason == OperatorReason.NO_INPUT
    said = [e["value"] for e in events(transcript, "prompt")]
    assert said.count(prompts.INVALID) == 2
    assert transcript.outcome == CallOutcome.OPERATOR


@pytest.mark.parametrize(
    ("dtmf", "nodes", "reason"),
    [
        # 3 over the invalid notice: the level entered again, then its option.
        ("83w0", ["main", "main", "info", "operator"], OperatorReason.MENU),
        # Another invalid key over the notice: the second round, the operator.
        ("88", ["main", "main", "operator"], OperatorReason.NO_INPUT),
    ],
)
async def test_a_key_over_the_invalid_notice_counts_from_the_level_entered_again(
    engine: Engine, settings: Settings, dtmf: str, nodes: list[str], reason: OperatorReason
) -> None:
    await installed(engine)
    transcript = await call(settings, dtmf)
    assert on_levels(transcript), transcript.contexts
    assert transcript.nodes == ["greeting", *nodes]
    assert transcript.operator_reason == reason
    keys = [e["value"] for e in events(transcript, "digits") if e["value"]]
    assert "".join(keys) == dtmf.replace("w", "")


async def test_silence_reaches_the_operator(engine: Engine, settings: Settings) -> None:
    await installed(engine)
    transcript = await call(settings, "")
    # Two silent rounds (the default): the stay-on-the-line notice after the first.
    assert transcript.nodes == ["greeting", "main", "main", "operator"]
    assert transcript.operator_reason == OperatorReason.NO_INPUT
    said = [e["value"] for e in events(transcript, "prompt")]
    assert said.count(prompts.NO_TONE) == 1
    silent = [e for e in events(transcript, "digits") if e["value"] == ""]
    assert [e["detail"] for e in silent] == [{"timed_out": True}] * 2


async def test_the_hint_once_to_a_first_time_caller_the_short_prompt_after(
    engine: Engine, settings: Settings
) -> None:
    await installed(engine)
    # Silent through the main menu's detailed prompt: the navigation hint follows, and 0
    # over it (the next segment starts when the hint starts).
    first = await call(settings, "|0", caller="79131230001")
    said = [e["value"] for e in events(first, "prompt")]
    assert "ivr.main.detailed" in said and "ivr.main.short" not in said
    assert said.count(prompts.NAV_HINT) == 1
    assert first.nodes == ["greeting", "main", "operator"]
    # The same number again: an experienced caller, the short prompt and no hint.
    again = await call(settings, "|0", caller="79131230001")
    said = [e["value"] for e in events(again, "prompt")]
    assert "ivr.main.short" in said and "ivr.main.detailed" not in said
    assert prompts.NAV_HINT not in said


WALKS = ("3w#w0", "31w*w0", "8w8", "")


def summary(transcript: Transcript) -> tuple[Any, ...]:
    """What the IVR report, the screen pop and the history read of a call."""
    # Over a prompt or while waiting depends on when a key lands (timing, not the walk); a
    # silent round is the walk's.
    keys = [(e["value"], e["detail"].get("timed_out")) for e in events(transcript, "digits")]
    keys = [(value, timed_out if value == "" else None) for value, timed_out in keys]
    return (
        tuple(transcript.nodes),
        tuple(keys),
        transcript.outcome,
        transcript.operator_reason,
        tuple(e["value"] for e in events(transcript, "prompt") if e["value"] in REPORTED),
    )


# Prompts whose count is the walk's, not the timing's (a key cuts a prompt short either way).
REPORTED = (prompts.INVALID, prompts.NO_TONE, prompts.CONNECTING)


async def test_the_engine_and_the_dialplan_log_the_same_calls(tmp_path: Path) -> None:
    seen: dict[str, list[tuple[Any, ...]]] = {}
    for levels in ("engine", "dialplan"):
        settings = engine_settings(tmp_path / f"{levels}.db", ivr={"levels": levels})
        engine = Engine(settings)
        await engine.start()
        try:
            await engine.ami.wait_connected(10)
            if levels == "dialplan":
                await installed(engine)
            # The walks at once, each a first-time caller of its own (their calls are
            # independent; one after another they took 80 s).
            transcripts = await asyncio.gather(
                *(call(settings, dtmf, caller=f"7913123002{i}") for i, dtmf in enumerate(WALKS))
            )
            assert [on_levels(t) for t in transcripts] == [levels == "dialplan"] * len(WALKS)
            seen[levels] = [summary(t) for t in transcripts]
        finally:
            await engine.stop()
    assert seen["dialplan"] == seen["engine"]


async def test_the_engines_user_is_not_sent_the_levels_steps(
    engine: Engine, settings: Settings
) -> None:
    # Five dialplan steps per key, and a dozen at the call's start, that no consumer in the
    # engine reads: the trackers follow the operator and fallback contexts (and the inbound
    # call from its Newchannel), the levels report by UserEvent.
    await installed(engine)
    async with ami_client(settings, AmiRole.ENGINE) as engine_user:
        steps = engine_user.subscribe(("Newexten",), maxsize=10_000)
        transcript = await call(settings, "3w#w0")
        seen = []
        while not steps.queue.empty():
            seen.append(steps.queue.get_nowait())
    assert on_levels(transcript)  # the simulator (the CLI's user) followed the levels
    contexts = {e.get("context") for e in seen if e.uniqueid == transcript.uniqueid}
    assert CONTEXT_OPERATOR in contexts and CONTEXT_INBOUND not in contexts
    assert not any(c.startswith(ENGINE_UNREAD_CONTEXTS) for c in contexts), contexts


async def test_between_the_notice_and_the_levels_only_mixmonitor_and_one_mset(
    engine: Engine, settings: Settings
) -> None:
    # Issue 19 item 1: the recording's folder is made ready while the greeting plays and the
    # call's own variables go with the hand-over's, so after the notice the engine sends
    # MixMonitor and one MSet (three round trips and a hop to a thread before), and the
    # greeting and the notice are played by one Playback, sent ahead with them: no turn of the
    # engine between the notice and the menu.  The operator context then finds the
    # recording started: the notice is not played again.
    await installed(engine)
    async with ami_client(settings, AmiRole.CLI) as watcher:
        started = watcher.subscribe(("AGIExecStart",), maxsize=10_000)
        transcript = await call(settings, "0")
        commands = []
        while not started.queue.empty():
            event = started.queue.get_nowait()
            if event.uniqueid == transcript.uniqueid:
                commands.append(event.get("command"))
    assert on_levels(transcript) and transcript.outcome == CallOutcome.OPERATOR
    handed = f"{ChannelVar.STATUS}={IvrStatus.MENU}"
    first_session = commands[: next(i for i, c in enumerate(commands) if handed in c) + 1]
    verbs = [" ".join(c.split()[:2]) for c in first_session]
    assert verbs == ["EXEC Playback", "EXEC MixMonitor", "EXEC MSet"], commands
    assert prompts.RECORDING_NOTICE in first_session[0]
    mset = first_session[-1]
    assert f"{ChannelVar.RECORDING_NOTICE}={NoticeBy.IVR}" in mset
    assert f"{ChannelVar.RECORDING}=" in mset and f"{ChannelVar.CALL_ID}=" in mset
    await asyncio.sleep(1.5)  # the batched call events are committed
    record = await engine.call_log.get(uniqueid=transcript.uniqueid)
    assert record is not None
    notices = [e.value for e in record.events if e.kind == EventKind.RECORDING_NOTICE]
    assert notices == [NoticeBy.IVR]
    (recording,) = await engine.recordings.for_uniqueid(transcript.uniqueid)
    assert mset.split(f"{ChannelVar.RECORDING}=", 1)[1].split(",", 1)[0] == recording.path
