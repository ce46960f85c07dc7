"""Issue 21 item 3 through the real Asterisk: the database is down (a private PostgreSQL,
stopped after the engine started) and a caller still hears the greeting, the recording notice
and the menus, and reaches the operator queue by the operator key, not by the fallback.  The
simulated caller's transcript comes from AMI alone (no call log: the database is down)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.app import Engine, resolve_ami_secret
from hotline.calls.simulator import Simulator
from hotline.dialplan.names import CONTEXT_FALLBACK, CONTEXT_OPERATOR
from hotline.settings import AmiRole, Settings
from hotline.transport.ami import AmiClient
from ivr import prompts
from tests.chaos_pg import NO_SERVER, PrivatePostgres, private_postgres
from tests.e2e.engine_support import engine_settings

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.short_prompts,
    pytest.mark.usefixtures("sandbox"),
    NO_SERVER,
]

CALLER = "79131234567"


@pytest.fixture
async def down(tmp_path: Path) -> AsyncIterator[tuple[Engine, Settings, PrivatePostgres]]:
    with private_postgres() as server:
        settings = engine_settings(tmp_path / "unused.db", store={"url": server.url})
        engine = Engine(settings)
        await engine.db.upgrade()
        await engine.start()
        try:
            await engine.ami.wait_connected(10)
            await asyncio.to_thread(server.stop)
            yield engine, settings, server
        finally:
            await engine.stop()


async def test_with_the_database_down_the_menu_is_served_and_the_operator_reached(
    down: tuple[Engine, Settings, PrivatePostgres],
) -> None:
    _engine, settings, _server = down
    # The simulator follows the inbound context's steps: the CLI's user, as `hotline call`.
    ami = AmiClient(settings.ami, resolve_ami_secret(settings, AmiRole.CLI), role=AmiRole.CLI)
    async with ami:
        transcript = await Simulator(ami, None, settings.simulate).run("3w0", caller_id=CALLER)
    played = [Path(p).name for p in transcript.prompts]
    assert played[0].startswith(prompts.GREETING), played
    assert played[1] == prompts.RECORDING_NOTICE, played
    assert "ivr.main.detailed" in played and "info.menu.detailed" in played, played
    assert CONTEXT_OPERATOR in transcript.contexts
    assert CONTEXT_FALLBACK not in transcript.contexts, transcript.contexts
