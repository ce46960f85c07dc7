"""SIP callers through Kamailio (rendered by `hotline kamailio render`) to the Asterisk nodes:
with one node dead, every call still reaches the live one (issue 20: failover, no call lost).

One machine has one sandbox Asterisk, so the second node is a dead address (nothing listens
there): round robin sends one of two calls to it first, its INVITE goes unanswered, and
Kamailio fails the call over within cluster.kamailio.invite_timeout_ms.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.dialplan.kamailio_config import CONFIG_FILE, DISPATCHER_FILE, render_kamailio
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.enums import CallDirection
from tests.e2e.engine_support import engine_settings, wait_for_udp_port
from tests.e2e.sipp_ports import own_ports

pytestmark = pytest.mark.e2e

SCENARIO = Path(__file__).parent / "sipp" / "caller_via_proxy.xml"
CALLER = "79131234567"
DIALED = "88005553535"
HOLD_MS = 2000
CALLS = 2
# Beside the sandbox's SIP port (so each xdist worker has its own): Kamailio, a dead node.
PROXY_OFFSET = 4
DEAD_OFFSET = 5


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    base = engine_settings(tmp_path / "hotline.db")
    sip = base.sandbox
    nodes = [
        {
            "name": "pbx-dead",
            "sip_host": "127.0.0.1",
            "sip_port": sip.sip_port + DEAD_OFFSET,
            "ami_host": "127.0.0.1",
        },
        {
            "name": "pbx1",
            "sip_host": sip.sip_host,
            "sip_port": sip.sip_port,
            "ami_host": base.ami.host,
            "ami_port": base.ami.port,
        },
    ]
    return engine_settings(
        tmp_path / "hotline.db",
        cluster={
            "nodes": nodes,
            "kamailio": {
                "listen_port": sip.sip_port + PROXY_OFFSET,
                "algorithm": 4,
                # No probe before the calls: the failover path itself is under test.
                "probe_interval": 600,
                "invite_timeout_ms": 1000,
            },
        },
    )


@pytest.fixture
def kamailio(settings: Settings, tmp_path: Path) -> Iterator[Path]:
    binary = shutil.which("kamailio")
    assert binary, "kamailio not found: install Debian's kamailio package"
    folder = tmp_path / "kamailio"
    (folder / "run").mkdir(parents=True)
    files = render_kamailio(settings, str(folder / DISPATCHER_FILE))
    (folder / CONFIG_FILE).write_text(files.config, encoding="utf-8")
    (folder / DISPATCHER_FILE).write_text(files.dispatcher, encoding="utf-8")
    log_file = folder / "kamailio.log"
    with log_file.open("wb") as log:
        argv = [
            binary,
            "-DD",
            "-E",
            "-f", str(folder / CONFIG_FILE),
            "-Y", str(folder / "run"),
            "-P", str(folder / "kamailio.pid"),
            "-m", "64",
            "-M", "8",
        ]  # fmt: skip
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            asyncio.run(wait_for_udp_port(settings.cluster.kamailio.listen_port))
            yield log_file
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


async def test_callers_through_kamailio_reach_the_live_node_when_one_is_dead(
    sandbox: Sandbox, settings: Settings, kamailio: Path
) -> None:
    scenario = await asyncio.to_thread(sandbox.stage_file, SCENARIO)
    proxy = settings.cluster.kamailio
    argv = [
        sandbox.sipp_path,
        f"{proxy.listen_host}:{proxy.listen_port}",
        "-sf", scenario,
        "-key", "caller", CALLER,
        "-d", str(HOLD_MS),
        "-s", DIALED,
        "-i", "127.0.0.1",
        *own_ports(settings),
        "-m", str(CALLS),
        "-l", "1",
        "-timeout", "40",
        "-timeout_error",
        "-nostdin",
    ]  # fmt: skip
    engine = Engine(settings)
    await engine.start()
    try:
        await engine.ami.wait_connected(10)
        sipp = await asyncio.to_thread(sandbox.run_in_chroot, argv, 60.0)
        log = await asyncio.to_thread(kamailio.read_text, encoding="utf-8", errors="replace")
        assert sipp.returncode == 0, sipp.stdout[-1500:] + log[-1500:] + sandbox.log_tail(30)
        async with asyncio.timeout(10):
            while True:
                records = await engine.call_log.recent(limit=5)
                if len(records) == CALLS and all(r.ended_at is not None for r in records):
                    break
                await asyncio.sleep(0.1)
    finally:
        await engine.stop()

    # Both calls were answered by the live node's IVR, from the caller through the proxy.
    assert all(r.direction == CallDirection.INBOUND for r in records)
    assert {(r.caller, r.callee) for r in records} == {(CALLER, DIALED)}
    assert all(r.answered_at is not None for r in records)
    # One of them was first sent to the dead node and failed over.
    failovers = log.count("failing over")
    assert failovers >= 1, log[-2000:]
    assert f":{settings.sandbox.sip_port + DEAD_OFFSET}" in log
