"""The AMI adapter's typed helpers against the real Asterisk, with a call in progress."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.dialplan.names import ChannelVar
from tests.e2e.engine_support import engine_settings, simulator, wait_for_node

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("sandbox")]


async def test_helpers_see_a_live_call(tmp_path: Path) -> None:
    settings = engine_settings(tmp_path / "hotline.db")
    engine = Engine(settings)
    await engine.start()
    try:
        await engine.ami.wait_connected(10)
        async with simulator(settings) as (sim, call_log, ami):
            call = asyncio.create_task(sim.run(""))
            # The main menu: its call id is on the channel once the greeting and the recording
            # notice have played (the row is written meanwhile, issue 21).
            record = await wait_for_node(call_log, "main")

            channels = await ami.core_show_channels()
            by_id = {c.uniqueid: c for c in channels}
            assert record.uniqueid in by_id
            channel = by_id[record.uniqueid]["channel"]
            assert await ami.getvar(channel, ChannelVar.CALL_ID) == record.id
            assert await ami.getvar(channel, "NO_SUCH_VARIABLE") is None
            # CoreSettings, not Command: no hotline AMI user has the `command` class.
            core = await ami.action({"Action": "CoreSettings"})
            assert str(core.get("AsteriskVersion")).startswith("22.")
            queues = await ami.queue_status(settings.queue.name)
            assert any(e.name == "QueueParams" for e in queues)

            await ami.hangup(channel)
            transcript = await call
    finally:
        await engine.stop()
    assert transcript.hangup_cause is not None
    assert "operator" not in transcript.nodes
