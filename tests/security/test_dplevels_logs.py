"""M7 with the menu's levels in dialplan (``ivr.levels = "dialplan"``): a call identified by
caller ID that goes from a level to the engine (readings: the account identified, a reading
refused) and on to the operator leaves neither its number nor its account in clear in the
engine's log.  What crosses
the hand-overs in channel variables carries no account (``HOTLINE_IVR_STATE``; the account stays
in ``HOTLINE_ACCOUNT``), and the suite's audit of the sandbox's Asterisk log covers Asterisk's
side."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from hotline.sandbox import Sandbox
from hotline.settings import Settings
from tests.e2e.engine_support import cli_overrides, engine_settings, simulate, wait_for_port
from tests.security.test_logs import PHONE, _in_clear, _process, _seed, _stop

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return engine_settings(tmp_path / "hotline.db", ivr={"levels": "dialplan"})


async def test_a_call_across_the_levels_leaves_no_phone_or_account_in_the_log(
    sandbox: Sandbox, settings: Settings, tmp_path: Path
) -> None:
    await _seed(settings)
    engine_log = tmp_path / "engine.log"
    cli = [sys.executable, "-m", "hotline.cli", *cli_overrides(settings)]
    engine = _process([*cli, "--set", "ivr.levels=dialplan", "run"], engine_log)
    try:
        await wait_for_port(settings.fastagi.host, settings.fastagi.port, timeout=30)
        async with asyncio.timeout(60):  # the levels installed (logged at INFO)
            while "in dialplan" not in engine_log.read_text(errors="replace"):
                await asyncio.sleep(0.1)
        # A reading refused (lower than the last), then 0: the operator, from the engine.
        transcript = await simulate(settings, "1w1w12000#w1w0", caller_id=PHONE)
        assert any(c.startswith("hotline-menu-") for c in transcript.contexts)
        async with asyncio.timeout(30):
            while "call end" not in engine_log.read_text(errors="replace"):
                await asyncio.sleep(0.1)
    finally:
        _stop(engine)
    text = engine_log.read_text(encoding="utf-8", errors="replace")
    assert "menu levels" in text and "call end" in text
    assert _in_clear(text) == []
