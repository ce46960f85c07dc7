"""An operator registers an appeal during a call (R-123) through the real Asterisk: a
simulated caller presses 0 and is put through to a simulated operator; the operator's console
(`hotline web`, its own process) shows the form pre-filled from the IVR context, registers the
appeal and sends the caller to hear its number and deadline, which the caller hears."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from hotline.app import Engine
from hotline.appeals.register import Viewer
from hotline.appeals.said import deadline_phrase, number_phrase
from hotline.contact_center import operators as ops
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.appeals import AppealFilter
from hotline.store.audit import Actor
from hotline.store.enums import AppealChannel, AppealLinkKind
from ivr import prompts
from tests.e2e.engine_support import engine_settings, simulator
from tests.e2e.web_support import CHROMIUM
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts]

CALLER = "79004445577"
SUPERVISOR = Viewer(Actor("test", "cli"), personal_data=True, trust=True)


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    # The caller stays on the line after the operator's queue (the simulator would hang up).
    return engine_settings(
        tmp_path / "appeal.db", simulate={"max_call_seconds": 90.0, "queue_linger_seconds": 60.0}
    )


async def test_operator_registers_and_the_caller_hears_the_number(
    engine: Engine, console: str
) -> None:
    interface = ops.simulated_interface("anna", 1, 60)  # answers after 1 s, talks 60 s
    await engine.operators.add("anna", interface, simulated=True)
    await ops.queue_action(
        engine.ami, engine.db, engine.settings, "anna", "login", Actor("anna", "cli")
    )
    try:
        async with (
            simulator(engine.settings) as (sim, _log, _ami),
            async_playwright() as playwright,
        ):
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox"]
            )
            page = await browser.new_page()
            await page.goto(console + "/login?next=/operator")
            await page.fill("input[name=name]", "anna")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            call = asyncio.create_task(sim.run("0", CALLER))
            # The screen pop links to the form, pre-filled from the call's IVR context.
            await page.locator("#pop-appeal").click(timeout=40_000)
            await expect(page.locator("#call-caller")).to_have_text(CALLER)
            await page.select_option("select[name=topic]", "bills")
            await page.fill("input[name=subject]", "Перерасчёт за ноябрь")
            await page.click("#appeal-register")
            number = await page.locator("#appeal-number").inner_text()
            await page.click("#appeal-tell")
            await expect(page.locator("#message")).to_contain_text(number)
            transcript = await call
            await browser.close()
    finally:
        await ops.logout(engine.ami, engine.operators, engine.settings, "anna")

    [appeal] = await engine.appeals.list(AppealFilter(), SUPERVISOR)
    assert appeal.number == number
    assert appeal.channel is AppealChannel.OPERATOR and appeal.phone == CALLER
    full = await engine.appeals.view(appeal.number, SUPERVISOR)
    assert full is not None
    assert dict(full.links)[AppealLinkKind.CALL] == transcript.call_log["id"]  # type: ignore[index]
    await engine.call_log.flush()
    record = await engine.call_log.get(uniqueid=transcript.uniqueid)
    assert record is not None
    heard = [e.value for e in record.events if e.kind == "prompt"]
    at = heard.index(prompts.APPEAL_REGISTERED)
    today = engine.appeals.local_day(appeal.registered_at)
    assert heard[at : at + 5] == [
        prompts.APPEAL_REGISTERED,
        number_phrase(appeal.number).text,
        prompts.APPEAL_DEADLINE,
        deadline_phrase(appeal.deadline, today).text,
        prompts.GOODBYE,
    ]
