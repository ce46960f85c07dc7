"""M2: PJSIP takes the carrier by its source address only.

An INVITE from an address outside the carrier's ``match`` that names the carrier in its From
header must not be answered; the same INVITE from the matched address still reaches the IVR.
Production renders carry no sandbox endpoints, whatever ``sandbox.enabled`` says.

L9, the other way in: a FastAGI connection the engine refuses (a foreign peer, or over
``fastagi.max_sessions``) is closed before any command, and Asterisk's dialplan still takes the
caller to the operator queue (the server side is tested in tests/unit/test_fastagi_peers.py).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.dialplan.asterisk_config import (
    SIM_TRUNK,
    SIP_ENDPOINT,
    RenderOptions,
    render_configs,
)
from hotline.dialplan.names import (
    CONTEXT_FALLBACK,
    CONTEXT_OPERATOR,
    CONTEXT_SIMULATED_CARRIER,
    ROUTE_IVR,
)
from hotline.sandbox import Sandbox
from hotline.settings import load_settings
from tests.e2e.engine_support import engine_settings, simulate

pytestmark = [pytest.mark.e2e]

HERE = Path(__file__).parent
FOREIGN = HERE / "sipp" / "foreign_carrier.xml"
MATCHED = HERE.parent / "e2e" / "sipp" / "caller_hangs_up.xml"
FOREIGN_ADDRESS = "127.0.0.2"  # on Linux the whole 127/8 is the loopback
DIALED = "88005553535"


def _sipp(sandbox: Sandbox, scenario: str, source: str, *extra: str) -> list[str]:
    settings = sandbox.settings
    return [
        sandbox.sipp_path,
        f"{settings.sandbox.sip_host}:{settings.sandbox.sip_port}",
        "-sf", scenario,
        "-key", "caller", SIP_ENDPOINT,
        "-s", DIALED,
        "-i", source,
        "-p", "0",
        "-m", "1",
        "-timeout", "30",
        "-timeout_error",
        "-nostdin",
        *extra,
    ]  # fmt: skip


async def test_an_invite_naming_the_carrier_from_a_foreign_address_is_not_answered(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    assert sandbox.settings.sandbox.sip_host != FOREIGN_ADDRESS  # outside `match`
    settings = engine_settings(tmp_path / "hotline.db")
    scenario = await asyncio.to_thread(sandbox.stage_file, FOREIGN)
    trace_inside = f"{Path(scenario).parent}/foreign_carrier_messages.log"
    trace = sandbox.layout.in_root(trace_inside)
    trace.unlink(missing_ok=True)
    argv = _sipp(sandbox, scenario, FOREIGN_ADDRESS, "-trace_msg", "-message_file", trace_inside)
    engine = Engine(settings)
    await engine.start()
    try:
        await engine.ami.wait_connected(10)
        sipp = await asyncio.to_thread(sandbox.run_in_chroot, argv, 45.0)
        records = await engine.call_log.recent(limit=5)
    finally:
        await engine.stop()
    messages = trace.read_text(encoding="utf-8", errors="replace")
    statuses = re.findall(r"^SIP/2\.0 (\d{3})", messages, flags=re.MULTILINE)
    assert statuses, messages[-2000:] + sipp.stdout[-1500:]  # Asterisk did answer the INVITE
    assert "200" not in statuses, messages[-3000:]
    assert statuses[-1] in {"401", "403", "404"}, statuses
    assert sipp.returncode == 0, sipp.stdout[-1500:] + sandbox.log_tail(30)
    assert records == []  # never reached the IVR


async def test_the_carrier_from_its_matched_address_still_gets_through(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    settings = engine_settings(tmp_path / "hotline.db")
    scenario = await asyncio.to_thread(sandbox.stage_file, MATCHED)
    argv = _sipp(sandbox, scenario, settings.sandbox.sip_host, "-d", "1500")
    engine = Engine(settings)
    await engine.start()
    try:
        await engine.ami.wait_connected(10)
        sipp = await asyncio.to_thread(sandbox.run_in_chroot, argv, 45.0)
        assert sipp.returncode == 0, sipp.stdout[-1500:] + sandbox.log_tail(30)
        async with asyncio.timeout(10):
            while not (records := await engine.call_log.recent(limit=5)):
                await asyncio.sleep(0.1)
    finally:
        await engine.stop()
    assert records[0].channel is not None
    assert records[0].channel.startswith(f"PJSIP/{SIP_ENDPOINT}-")


def test_a_production_render_has_no_sandbox_parts_and_identifies_by_address_only() -> None:
    settings = load_settings(overrides={"sandbox": {"enabled": True}})  # the default
    files = render_configs(
        settings,
        RenderOptions(
            ami_secret="s", console_secret="c", cli_secret="l", sip_match=("192.0.2.10",)
        ),
    )
    everything = "\n".join(files.values())
    # hotline-sim-caller and -operator stay: only AMI reaches them (`hotline call simulate`).
    for sim in (SIM_TRUNK, CONTEXT_SIMULATED_CARRIER):
        assert f"[{sim}]" not in everything, sim
    pjsip = files["pjsip.conf"]
    assert re.search(r"^endpoint_identifier_order = ip$", pjsip, flags=re.MULTILINE)
    assert re.search(r"^identify_by = ip$", pjsip, flags=re.MULTILINE)
    assert "username" not in pjsip
    assert re.search(r"^match = 192\.0\.2\.10$", pjsip, flags=re.MULTILINE)
    modules = files["modules.conf"]
    for module in ("user", "anonymous"):
        assert f"noload = res_pjsip_endpoint_identifier_{module}.so" in modules
    assert not re.search(r"^\[anonymous\]", pjsip, flags=re.MULTILINE)


def test_the_sandbox_render_keeps_its_simulated_parts() -> None:
    files = render_configs(
        load_settings(),
        RenderOptions(ami_secret="s", console_secret="c", cli_secret="l", sandbox=True),
    )
    assert f"[{SIM_TRUNK}]" in files["pjsip.conf"]
    assert f"[{CONTEXT_SIMULATED_CARRIER}]" in files["extensions.conf"]


async def test_a_refused_fastagi_session_still_takes_the_caller_to_the_queue(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # Every session is over a cap of 0: the engine closes each before a command.
    settings = engine_settings(tmp_path / "hotline.db", fastagi={"max_sessions": 0})
    engine = Engine(settings)
    await engine.start()
    try:
        await engine.ami.wait_connected(10)
        transcript = await simulate(settings, "", caller_id="79131234567")
    finally:
        await engine.stop()
    assert transcript.route == ROUTE_IVR
    assert transcript.nodes == []  # the IVR never ran
    assert transcript.contexts[-2:] == [CONTEXT_FALLBACK, CONTEXT_OPERATOR]
