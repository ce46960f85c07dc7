"""The wallboard live in Chromium against the real sandbox: a simulated caller waiting in the
operator queue appears on the board and leaves it, pushed over SSE from AMI events, without
the page reloading."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from hotline.app import Engine
from hotline.contact_center import operators as ops
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from tests.e2e.engine_support import engine_settings, simulator
from tests.e2e.web_support import CHROMIUM
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts]

CALLER = "79001112233"


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return engine_settings(
        tmp_path / "wallboard.db",
        queue={"answer_target": 3},
        simulate={"queue_linger_seconds": 8.0, "max_call_seconds": 60.0},
    )


async def test_caller_in_queue_shows_up_live(engine: Engine, console: str) -> None:
    interface = ops.simulated_interface("op.away", None, 5)  # rings, never answers
    await engine.operators.add("op.away", interface, simulated=True)
    await ops.login(engine.ami, engine.operators, engine.settings, "op.away")
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox"]
            )
            page = await browser.new_page()
            await page.goto(console + "/login?next=/wallboard")
            await page.fill("input[name=name]", "boris")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            waiting = page.locator("#tile-waiting .value")
            await expect(waiting).to_have_text("0")
            await expect(page.locator('tr[data-operator="op.away"]')).to_be_visible()
            await page.evaluate("window.sameDocument = true")

            async with simulator(engine.settings) as (sim, _log, _ami):
                call = asyncio.create_task(sim.run("0", CALLER))
                await expect(waiting).to_have_text("1", timeout=30_000)
                await call
            await expect(waiting).to_have_text("0", timeout=15_000)
            assert await page.evaluate("window.sameDocument") is True  # never reloaded
            await browser.close()
    finally:
        await ops.logout(engine.ami, engine.operators, engine.settings, "op.away")
