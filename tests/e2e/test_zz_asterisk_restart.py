"""After an Asterisk restart the engine's AMI connection comes back by itself.

Named to run last: it restarts the shared sandbox Asterisk.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from hotline.app import Engine
from hotline.store.enums import CallOutcome
from tests.e2e.engine_support import engine_settings, simulate

pytestmark = pytest.mark.e2e


async def test_ami_reconnects_after_asterisk_restarts(sandbox: Any, tmp_path: Path) -> None:
    settings = engine_settings(tmp_path / "hotline.db")
    engine = Engine(settings)
    await engine.start()
    try:
        await engine.ami.wait_connected(10)
        logins = engine.ami.login_count

        await asyncio.to_thread(sandbox.restart_asterisk)

        async with asyncio.timeout(60):
            while engine.ami.login_count == logins or not engine.ami.connected:
                await asyncio.sleep(0.2)
        await engine.ami.ping()
        # The same engine, never restarted, serves calls and tracks them again.
        transcript = await simulate(settings, "0")
        assert transcript.outcome == CallOutcome.OPERATOR
        record = await engine.call_log.get(uniqueid=transcript.uniqueid)
        assert record is not None and record.ended_at is not None
    finally:
        await engine.stop()
