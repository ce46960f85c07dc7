"""Issue 17 (R-135) through the real Asterisk: voice quality on every SIP leg.  A SIP caller
(SIPp over PJSIP, sending speech) is put through to the operator queue, where the operator's
SIP phone (a second SIPp, answering on the sandbox's SIP trunk) answers; when the caller
hangs up, both legs report their RTP statistics and the engine stores both with the call."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.contact_center import operators as ops
from hotline.dialplan.asterisk_config import SIM_TRUNK
from hotline.dialplan.names import CONTEXT_OPERATOR, QualityLeg
from hotline.sandbox import Sandbox
from hotline.store.audit import Actor
from hotline.store.quality import CallQualityStore, QualityRecord
from tests.e2e.engine_support import engine_settings, wait_for_udp_port
from tests.e2e.sipp_ports import own_ports

pytestmark = pytest.mark.e2e

SCENARIO = Path(__file__).parent / "sipp" / "desk2_caller_talks.xml"
CALLER = "79131234570"
DIALED = "88005553535"
HOLD_MS = 5000
START = datetime(2020, 1, 1, tzinfo=UTC)


async def test_the_callers_and_the_operators_legs_are_both_stored(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    settings = engine_settings(tmp_path / "hotline.db")
    # The operator's SIP phone: whatever answers at the sandbox trunk's address.
    phone_port = settings.sandbox.sim_trunk_port
    phone_argv = [
        sandbox.sipp_path, "-sn", "uas", "-i", "127.0.0.1", "-p", str(phone_port),
        "-m", "1", "-timeout", "30", "-timeout_error", "-nostdin",
    ]  # fmt: skip
    scenario = await asyncio.to_thread(sandbox.stage_file, SCENARIO)
    caller_argv = [
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
    cli = Actor("test", "cli")
    store = CallQualityStore(engine.db)
    found: list[QualityRecord] = []
    try:
        await engine.ami.wait_connected(10)
        await engine.operators.add("anna", f"PJSIP/{SIM_TRUNK}", simulated=False)
        await ops.queue_action(engine.ami, engine.db, settings, "anna", "login", cli)
        phone = asyncio.create_task(asyncio.to_thread(sandbox.run_in_chroot, phone_argv, 40.0))
        await wait_for_udp_port(phone_port)
        caller = asyncio.create_task(asyncio.to_thread(sandbox.run_in_chroot, caller_argv, 40.0))
        # The caller is in the IVR: put them through to the operator queue (as pressing 0 would).
        async with asyncio.timeout(15):
            while not (calls := await engine.call_log.recent(limit=1)) or not calls[0].channel:
                await asyncio.sleep(0.1)
        [call] = calls
        await engine.ami.action(
            {
                "Action": "Redirect",
                "Channel": call.channel,
                "Context": CONTEXT_OPERATOR,
                "Exten": "s",
                "Priority": "1",
            }
        )
        sipp, answered = await caller, await phone
        assert sipp.returncode == 0, sipp.stdout[-1500:] + sandbox.log_tail(30)
        assert answered.returncode == 0, answered.stdout[-1500:] + sandbox.log_tail(30)
        async with asyncio.timeout(10):
            while len(found) < 2:
                found = await store.between(START, datetime.now(UTC) + timedelta(minutes=1))
                await asyncio.sleep(0.1)
    finally:
        await ops.queue_action(engine.ami, engine.db, settings, "anna", "logout", cli)
        await engine.stop()

    legs = {record.leg: record for record in found}
    assert set(legs) == {QualityLeg.CALLER, QualityLeg.OPERATOR}, found
    assert {record.call for record in found} == {call.uniqueid}
    assert legs[QualityLeg.CALLER].uniqueid == call.uniqueid
    operator = legs[QualityLeg.OPERATOR]
    assert operator.channel is not None and operator.channel.startswith("PJSIP/")
    assert operator.uniqueid != call.uniqueid
    # The caller's speech reached the operator's phone; nothing was lost on loopback.
    assert operator.tx_packets > 50 and operator.loss == 0.0
    assert legs[QualityLeg.CALLER].rx_packets > 50
