"""A real SIP call through PJSIP into the engine, and the engine shutting down mid-call."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.dialplan.names import CONTEXT_FALLBACK, CONTEXT_OPERATOR
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.enums import CallDirection, CallOutcome
from tests.e2e.engine_support import engine_settings, simulator, wait_for_node
from tests.e2e.sipp_ports import own_ports

# Every test here needs the sandbox, including those that never name it.
pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts, pytest.mark.usefixtures("sandbox")]

SCENARIO = Path(__file__).parent / "sipp" / "caller_hangs_up.xml"
CALLER = "79131234567"
DIALED = "88005553535"
HOLD_MS = 2500


async def test_sip_caller_who_hangs_up_is_logged_end_to_end(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    settings = engine_settings(tmp_path / "hotline.db")
    scenario = await asyncio.to_thread(sandbox.stage_file, SCENARIO)
    argv = [
        sandbox.sipp_path,
        f"{settings.sandbox.sip_host}:{settings.sandbox.sip_port}",
        "-sf", scenario,
        "-key", "caller", CALLER,
        "-d", str(HOLD_MS),
        "-s", DIALED,
        "-i", "127.0.0.1",
        *own_ports(settings),
        "-m", "1",
        "-timeout", "30",
        "-timeout_error",
        "-nostdin",
    ]  # fmt: skip
    engine = Engine(settings)
    await engine.start()
    try:
        await engine.ami.wait_connected(10)
        sipp = await asyncio.to_thread(sandbox.run_in_chroot, argv, 45.0)
        assert sipp.returncode == 0, sipp.stdout[-1500:] + sandbox.log_tail(30)
        async with asyncio.timeout(10):
            while True:
                records = await engine.call_log.recent(limit=5)
                if records and records[0].ended_at is not None:
                    break
                await asyncio.sleep(0.1)
    finally:
        await engine.stop()

    [record] = records
    assert record.direction == CallDirection.INBOUND and not record.simulated
    assert (record.caller, record.callee) == (CALLER, DIALED)
    assert record.channel is not None and record.channel.startswith("PJSIP/")
    assert record.path[0] == "greeting"  # the caller left during the greeting
    assert record.outcome == CallOutcome.ABANDONED
    assert record.answered_at is not None and record.ended_at > record.answered_at
    # A plain BYE carries no Reason header, so Asterisk reports cause 0 ("unknown").
    assert record.hangup_cause is not None


async def _shutdown_mid_call(settings: Settings) -> tuple[list[str], list[str]]:
    engine = Engine(settings)
    await engine.start()
    stopped = False
    try:
        await engine.ami.wait_connected(10)
        async with simulator(settings) as (sim, call_log, _ami):
            call = asyncio.create_task(sim.run(""))
            await wait_for_node(call_log, "main")
            await engine.stop()
            stopped = True
            transcript = await call
    finally:
        if not stopped:
            await engine.stop()
    return transcript.nodes, transcript.contexts


async def test_shutdown_hands_unfinished_calls_to_the_fallback(tmp_path: Path) -> None:
    # The silent caller needs several seconds more; a 0.5 s grace cannot wait for that.
    settings = engine_settings(tmp_path / "hotline.db", fastagi={"shutdown_grace": 0.5})
    nodes, contexts = await _shutdown_mid_call(settings)
    assert "operator" not in nodes
    assert contexts[-2:] == [CONTEXT_FALLBACK, CONTEXT_OPERATOR]


async def test_shutdown_lets_a_call_in_progress_finish(tmp_path: Path) -> None:
    settings = engine_settings(tmp_path / "hotline.db", fastagi={"shutdown_grace": 30.0})
    nodes, contexts = await _shutdown_mid_call(settings)
    assert nodes[-1] == "operator"  # the IVR ran to its end and chose the operator itself
    assert CONTEXT_FALLBACK not in contexts
