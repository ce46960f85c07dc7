"""Issue 17 item 8 (R-135) through the real Asterisk: a SIP caller (sipp over PJSIP) hears
the greeting and hangs up; the call's hangup handler reports the channel's RTP statistics
and the engine stores them with the call (the greeting's packets sent to the caller)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.sandbox import Sandbox
from hotline.store.quality import CallQualityStore, QualityRecord
from tests.e2e.engine_support import engine_settings
from tests.e2e.sipp_ports import own_ports

pytestmark = pytest.mark.e2e

SCENARIO = Path(__file__).parent / "sipp" / "caller_hangs_up.xml"
CALLER = "79131234569"
DIALED = "88005553535"
HOLD_MS = 2000
START = datetime(2020, 1, 1, tzinfo=UTC)


async def test_a_sip_calls_voice_quality_is_stored(sandbox: Sandbox, tmp_path: Path) -> None:
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
    store = CallQualityStore(engine.db)
    found: list[QualityRecord] = []
    try:
        await engine.ami.wait_connected(10)
        sipp = await asyncio.to_thread(sandbox.run_in_chroot, argv, 45.0)
        assert sipp.returncode == 0, sipp.stdout[-1500:] + sandbox.log_tail(30)
        async with asyncio.timeout(10):
            while not found:
                found = await store.between(START, datetime.now(UTC) + timedelta(minutes=1))
                await asyncio.sleep(0.1)
        [call] = await engine.call_log.recent(limit=1)
    finally:
        await engine.stop()

    [quality] = found
    assert quality.uniqueid == call.uniqueid and call.channel == quality.channel
    assert quality.channel is not None and quality.channel.startswith("PJSIP/")
    assert quality.tx_packets > 50  # two seconds of greeting at 50 packets a second
    assert quality.loss == 0.0 and quality.problems == ()
