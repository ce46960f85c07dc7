"""The operator panel in Chromium against the real sandbox: the operator joins the queue from
the browser (AMI QueueAdd), a simulated caller pressing 0 is put through to them, and the
screen pop with the caller's IVR context appears without a reload; pause and log-out go to
Asterisk too."""

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


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    # The caller stays until the operator hangs up (by default the simulator leaves the queue
    # 2 s after joining it: the live pop lasted about a second, too short for a loaded run).
    return engine_settings(
        tmp_path / "panel.db", simulate={"max_call_seconds": 60.0, "queue_linger_seconds": 40.0}
    )


CALLER = "79004445566"


async def member_state(engine: Engine) -> list[dict[str, object]]:
    events = await engine.ami.queue_status(engine.settings.queue.name)
    return ops.live_queue(events, engine.settings.queue.name).members


async def test_operator_joins_gets_a_screen_pop_pauses_and_leaves(
    engine: Engine, console: str
) -> None:
    interface = ops.simulated_interface("anna", 1, 6)  # answers after 1 s, talks 6 s
    await engine.operators.add("anna", interface, simulated=True)
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox"]
            )
            page = await browser.new_page()
            await page.goto(console + "/login?next=/operator")
            await page.fill("input[name=name]", "anna")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.click("#queue-login")
            await expect(page.locator("#operator-state")).to_have_text("принимаю звонки")
            assert [m["interface"] for m in await member_state(engine)] == [interface]
            await page.evaluate("window.sameDocument = true")

            async with simulator(engine.settings) as (sim, _log, _ami):
                call = asyncio.create_task(sim.run("0", CALLER))
                await expect(page.locator("#pop-caller")).to_have_text(CALLER, timeout=40_000)
                await expect(page.locator("#pop-reason")).to_have_text("выбрал оператора")
                await expect(page.locator("#pop-path")).to_contain_text("operator")
                assert await page.evaluate("window.sameDocument") is True
                await call

            await page.click("#queue-pause")
            await expect(page.locator("#operator-state")).to_have_text("на паузе")
            assert [m["state"] for m in await member_state(engine)] == ["paused"]
            await page.click("#queue-unpause")
            await expect(page.locator("#operator-state")).to_have_text("принимаю звонки")
            await page.click("#queue-logout")
            await expect(page.locator("#operator-state")).to_have_text("не в очереди")
            assert await member_state(engine) == []

            # The call's recording, found by the operator and played by the browser itself.
            # Its operator and length are indexed at hang-up: search until they are.
            audio = page.locator("#recordings audio")
            async with asyncio.timeout(20):
                while not await audio.count():
                    await asyncio.sleep(0.5)
                    await page.goto(console + f"/recordings?caller={CALLER[-4:]}")
            await expect(audio).to_have_count(1)
            duration = await audio.evaluate(
                "a => new Promise((ok, fail) => {"
                " a.onloadedmetadata = () => ok(a.duration); a.onerror = () => fail(a.error);"
                " a.load(); })"
            )
            assert duration > 3.0  # the menu, then 6 s with the operator
            await browser.close()
    finally:
        await ops.logout(engine.ami, engine.operators, engine.settings, "anna")
