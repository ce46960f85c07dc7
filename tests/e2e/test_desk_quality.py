"""Issue 17 item 8 (R-135) through the real Asterisk: a SIP caller (sipp over PJSIP) hears
two seconds of the greeting and the call ends; the call's hangup handler reports the channel's
RTP statistics and the engine stores them with the call (the greeting's packets sent to the
caller).

The two seconds count from the greeting's start, seen on AMI: a caller that hung up on its own
timer two seconds after the answer heard 0.12 s of it when the engine's process waited 1.5 s
for a CPU on a loaded machine (a clean-clone run of the suite)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.credentials import ami_client
from hotline.sandbox import Sandbox
from hotline.settings.sections import AmiRole
from hotline.store.quality import CallQualityStore, QualityRecord
from tests.e2e.engine_support import engine_settings
from tests.e2e.sipp_ports import own_ports

pytestmark = pytest.mark.e2e

# The caller waits for Asterisk's BYE: the test ends the call over AMI.
SCENARIO = Path(__file__).parent / "sipp" / "inbound_call.xml"
CALLER = "79131234569"
DIALED = "88005553535"
LISTEN_SECONDS = 2.0
START = datetime(2020, 1, 1, tzinfo=UTC)


async def test_a_sip_calls_voice_quality_is_stored(sandbox: Sandbox, tmp_path: Path) -> None:
    settings = engine_settings(tmp_path / "hotline.db")
    scenario = await asyncio.to_thread(sandbox.stage_file, SCENARIO)
    argv = [
        sandbox.sipp_path,
        f"{settings.sandbox.sip_host}:{settings.sandbox.sip_port}",
        "-sf", scenario,
        "-key", "caller", CALLER,
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
        async with ami_client(settings, AmiRole.CLI) as watcher:
            started = watcher.subscribe(("AGIExecStart",), maxsize=10_000)
            caller = asyncio.ensure_future(asyncio.to_thread(sandbox.run_in_chroot, argv, 45.0))
            try:
                async with asyncio.timeout(20):
                    event = await started.queue.get()
                    while not event.get("command").startswith("EXEC Playback"):
                        event = await started.queue.get()
                await asyncio.sleep(LISTEN_SECONDS)
                await watcher.hangup(event.uniqueid)
            finally:
                sipp = await caller
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
