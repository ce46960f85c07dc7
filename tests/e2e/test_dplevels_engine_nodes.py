"""The menu's levels in dialplan (``ivr.levels = "dialplan"``) and the engine at the nodes that
need it, through the real Asterisk: self-service runs in the engine and the call comes back to
the levels with what the engine knew (the caller's proof of the money factor); a published
version reaches new calls while a call in progress finishes on its own; with the levels' file
gone or the engine stopped the caller still reaches a person."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.calls.simulator import Transcript
from hotline.dialplan.names import (
    CONTEXT_FALLBACK,
    CONTEXT_IVR_NODE,
    CONTEXT_OPERATOR,
    MENU_CONF,
    MENU_CONTEXT_PREFIX,
    ChannelVar,
    OperatorReason,
)
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.enums import CallOutcome
from ivr import prompts
from ivr.menu.handover import CallState
from ivr.menu.levels import context_of
from ivr.menu.versions import MenuVersions
from tests.e2e.engine_support import engine_settings, simulate, simulator, wait_for_node
from tests.e2e.test_dplevels_menu_calls import events, installed
from tests.e2e.test_readings_calls import SINGLE, SINGLE_PHONE, history, pause, seed

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts, pytest.mark.usefixtures("sandbox")]

CALLER = "79131234569"
DEFAULT_OPTIONS = '"3": info\n      "4": outages\n'
SWAPPED_OPTIONS = '"3": outages\n      "4": info\n'


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return engine_settings(tmp_path / "hotline.db", ivr={"levels": "dialplan"})


def said(transcript: Transcript) -> list[str]:
    return [e["value"] for e in events(transcript, "prompt")]


def on_levels(transcript: Transcript) -> bool:
    return any(c.startswith(MENU_CONTEXT_PREFIX) for c in transcript.contexts)


async def test_balance_runs_in_the_engine_and_the_proof_survives_the_levels(
    engine: Engine, settings: Settings
) -> None:
    await seed(settings)
    await installed(engine)
    # 2 balance: identified by caller ID (1 "yes"), the account's last digits as the money
    # factor; back on the main menu (in dialplan) 2 again: the balance is said without the
    # question (money_verified crossed the hand-over); then 0 on the main menu.
    last = SINGLE[-settings.accounts.money_digits :]
    factor = pause(settings, prompts.MONEY_DIGITS_ENTER) + "w" + last + "#"
    transcript = await simulate(settings, f"2w1{factor}|2|0", caller_id=SINGLE_PHONE)
    assert on_levels(transcript) and CONTEXT_IVR_NODE in transcript.contexts
    nodes = transcript.nodes
    assert nodes[:3] == ["greeting", "main", "balance"]
    assert nodes.count("balance") == 2 and nodes[-2:] == ["main", "operator"]
    assert nodes[nodes.index("balance.info") + 1] == "main"
    heard = said(transcript)
    assert heard.count(prompts.BALANCE_DEBT) == 2
    assert heard.count(prompts.MONEY_DIGITS_ENTER) == 1  # asked once: the proof held
    assert [e["value"] for e in events(transcript, "account")] == [SINGLE]
    assert transcript.outcome == CallOutcome.OPERATOR
    assert transcript.operator_reason == OperatorReason.MENU


async def test_a_reading_taken_in_the_engine(engine: Engine, settings: Settings) -> None:
    await seed(settings)
    await installed(engine)
    transcript = await simulate(settings, "1w1w12400#w1", caller_id=SINGLE_PHONE)
    assert on_levels(transcript) and transcript.nodes[:3] == ["greeting", "main", "readings"]
    assert [e["value"] for e in events(transcript, "reading")] == ["00112233/1=12400"]
    assert transcript.outcome == CallOutcome.COMPLETED
    [row] = await history(settings, SINGLE)
    assert row.value == 12400
    assert row.call_id == transcript.call_log["id"]  # type: ignore[index]


async def test_a_call_in_progress_finishes_on_its_version(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    settings = engine_settings(
        tmp_path / "v.db", ivr={"levels": "dialplan", "silent_rounds": 6, "max_rounds": 3}
    )
    original = settings.ivr.menu_file.read_text(encoding="utf-8")
    swapped = original.replace(DEFAULT_OPTIONS, SWAPPED_OPTIONS)
    assert swapped != original
    engine = Engine(settings)
    await engine.db.upgrade()
    first = await MenuVersions(engine.db).publish(original, str(settings.ivr.menu_file), "e2e")
    await engine.start()
    try:
        await engine.ami.wait_connected(10)
        await installed(engine)
        assert engine.flow is not None and engine.flow.levels is not None
        old_tag = engine.flow.levels.tag_of(engine.flow.menu)
        async with simulator(settings) as (sim, call_log, _ami):
            # Listens for a while on the main menu (in dialplan), then 3 and 0.
            in_progress = asyncio.create_task(sim.run("w" * 9 + "3w0", CALLER))
            try:
                await wait_for_node(call_log, "main")
                second = await MenuVersions(engine.db).publish(swapped, "swapped.yaml", "e2e")
                assert await engine.reload_menu() == second.version
                await installed(engine)
                new_tag = engine.flow.levels.tag_of(engine.flow.menu)
                assert new_tag is not None and new_tag != old_tag
                text = (sandbox.layout.etc_asterisk / MENU_CONF).read_text(encoding="utf-8")
                assert f"[{context_of(old_tag or '', 'main')}]" in text  # still served
                assert f"[{context_of(new_tag, 'main')}]" in text
                before = await in_progress
            finally:
                if not in_progress.done():
                    in_progress.cancel()
        # The call in progress: 3 was still information on its version.
        assert before.nodes[-2:] == ["info", "operator"]
        assert context_of(old_tag or "", "info") in before.contexts
        assert [e["value"] for e in events(before, "menu_version")] == [str(first.version)]
        # A new call: 3 is outages now.
        after = await simulate(settings, "3w0", caller_id=CALLER)
        assert after.nodes == ["greeting", "main", "outages", "operator"]
        assert context_of(new_tag, "outages") in after.contexts
    finally:
        await engine.stop()


async def test_without_the_levels_file_the_engine_walks(
    engine: Engine, settings: Settings, sandbox: Sandbox
) -> None:
    await installed(engine)
    (sandbox.layout.etc_asterisk / MENU_CONF).unlink()
    assert "Dialplan reloaded" in sandbox.cli("dialplan reload")
    transcript = await simulate(settings, "3w0", caller_id=CALLER)
    # Asterisk has no such context: [hotline-ivr-node] sent the call back to the engine.
    assert CONTEXT_IVR_NODE in transcript.contexts and not on_levels(transcript)
    assert transcript.nodes == ["greeting", "main", "info", "operator"]
    assert transcript.outcome == CallOutcome.OPERATOR
    assert transcript.operator_reason == OperatorReason.MENU


async def test_with_the_engine_stopped_the_operator_choice_reaches_the_queue(
    tmp_path: Path,
) -> None:
    settings = engine_settings(tmp_path / "s.db", ivr={"levels": "dialplan", "silent_rounds": 6})
    engine = Engine(settings)
    await engine.start()
    stopped = False
    try:
        await engine.ami.wait_connected(10)
        await installed(engine)
        async with simulator(settings) as (sim, call_log, _ami):
            call = asyncio.create_task(sim.run("w" * 6 + "0", CALLER))
            try:
                await wait_for_node(call_log, "main")
                await engine.stop()  # the caller is on the main menu, in dialplan
                stopped = True
                transcript = await call
            finally:
                if not call.done():
                    call.cancel()
    finally:
        if not stopped:
            await engine.stop()
    assert on_levels(transcript)
    assert CONTEXT_FALLBACK in transcript.contexts and CONTEXT_OPERATOR in transcript.contexts


async def test_a_restarted_engine_keeps_the_versions_calls_may_be_on(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    # A call on a level while the engine restarts stays in its context: the new process
    # keeps what the old one rendered (a reload that dropped the context would end the call).
    settings = engine_settings(tmp_path / "r.db", ivr={"levels": "dialplan"})
    original = settings.ivr.menu_file.read_text(encoding="utf-8")
    tags = []
    for content in (original, original.replace(DEFAULT_OPTIONS, SWAPPED_OPTIONS)):
        engine = Engine(settings)
        await engine.db.upgrade()
        await MenuVersions(engine.db).publish(content, "menu.yaml", "e2e")
        await engine.start()
        try:
            await engine.ami.wait_connected(10)
            await installed(engine)
            assert engine.flow is not None and engine.flow.levels is not None
            tags.append(engine.flow.levels.tag_of(engine.flow.menu) or "")
        finally:
            await engine.stop()
    assert tags[0] != tags[1]
    for tag in tags:
        shown = sandbox.cli(f"dialplan show {context_of(tag, 'main')}")
        assert f"'{context_of(tag, 'main')}'" in shown, shown


async def test_a_forged_state_does_not_skip_the_money_factor(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Whatever sets channel variables on a call on a level (the caller cannot; here AMI does)
    # cannot make the engine believe the caller is identified and proved the money factor.
    settings = engine_settings(tmp_path / "f.db", ivr={"levels": "dialplan", "silent_rounds": 6})
    await seed(settings)
    engine = Engine(settings)
    await engine.start()
    try:
        await engine.ami.wait_connected(10)
        await installed(engine)
        assert engine.flow is not None and engine.flow.levels is not None
        tag = engine.flow.levels.tag_of(engine.flow.menu) or ""
        forged = CallState(tag, identified_by="caller_id", money_verified=True, proof="0" * 32)
        async with simulator(settings) as (sim, call_log, ami):
            call = asyncio.create_task(sim.run("wwww2w1", SINGLE_PHONE))
            try:
                record = await wait_for_node(call_log, "main")
                for name, value in (
                    (ChannelVar.IVR_STATE, forged.encode()),
                    (ChannelVar.ACCOUNT, SINGLE),
                ):
                    await ami.action(
                        {
                            "Action": "Setvar",
                            "Channel": record.uniqueid,
                            "Variable": name,
                            "Value": value,
                        }
                    )
                transcript = await call
            finally:
                if not call.done():
                    call.cancel()
    finally:
        await engine.stop()
    heard = said(transcript)
    # The forged state reached the engine, which refused it...
    assert "its identity did not check out" in caplog.text
    # ...and asked who they are and for the factor, as if nothing had been set.
    assert prompts.ACCOUNT_ENDS_WITH in heard
    assert prompts.MONEY_DIGITS_ENTER in heard
    assert prompts.BALANCE_DEBT not in heard
