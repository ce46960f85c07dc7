"""Issue 17 item 7 through the real Asterisk: a supervisor (boris) opens the wallboard in
Chromium while the operator anna talks to a simulated caller, presses «прослушать»; his own
phone (a third Local channel) rings into ChanSpy on anna's channel and receives the call's
audio (the caller speaks; a recording of the spy channel holds speech); the audit log shows
the listen.  The screenshot of the wallboard with the monitoring controls goes to the README."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import wave
from array import array
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from hotline.app import Engine
from hotline.contact_center import operators as ops
from hotline.dialplan.asterisk_config import recording_notice_sound
from hotline.dialplan.names import (
    CONTEXT_SIMULATED_EAR,
    CONTEXT_SIMULATED_VOICE,
    CONTEXT_SPY,
    SIM_EAR,
    SIM_VOICE,
)
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.audit import Actor, AuditLog
from hotline.transport.ami import AmiClient
from tests.e2e.engine_support import engine_settings, simulator
from tests.e2e.web_support import CHROMIUM
from tests.screenshots import screenshot_path
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts]

CALLER = "79004445599"
SCREENSHOT = "supervisor-monitor.png"
# Sample peak of speech in 16-bit audio; a silent line stays under a few hundred.
SPEECH_PEAK = 3000


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return engine_settings(
        tmp_path / "monitor.db",
        simulate={"max_call_seconds": 60.0, "queue_linger_seconds": 40.0},
    )


def loudest(path: Path) -> int:
    with wave.open(str(path)) as sound:
        samples = array("h", sound.readframes(sound.getnframes()))
    return max((abs(s) for s in samples), default=0)


async def channel_where(ami: AmiClient, within: float, **wanted: str) -> str:
    """The name of the first live channel whose CoreShowChannel fields match ``wanted``."""
    async with asyncio.timeout(within):
        while True:
            for event in await ami.core_show_channels():
                if all(event.get(k).endswith(v) for k, v in wanted.items()):
                    return event.get("channel")
            await asyncio.sleep(0.2)


async def test_a_supervisor_listens_to_an_operators_call(
    engine: Engine, console: str, settings: Settings
) -> None:
    cli = Actor("test", "cli")
    await engine.operators.add("anna", ops.simulated_interface("anna", 1, 30), simulated=True)
    # The supervisor's own phone answers at once and records what it hears.
    await engine.operators.add("boris", f"Local/s@{CONTEXT_SIMULATED_EAR}/n", simulated=True)
    await ops.queue_action(engine.ami, engine.db, engine.settings, "anna", "login", cli)
    # In the recordings folder the sandbox bind-mounts at the same path.
    record = settings.paths.recordings_dir.expanduser().resolve() / f"spy-{uuid.uuid4().hex}.wav"
    record.parent.mkdir(parents=True, exist_ok=True)
    await engine.ami.action({"Action": "Setvar", "Variable": SIM_EAR, "Value": str(record)})
    try:
        async with (
            simulator(engine.settings) as (sim, _log, _ami),
            async_playwright() as playwright,
        ):
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox"]
            )
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.goto(console + "/login?next=/wallboard")
            await page.fill("input[name=name]", "boris")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            call = asyncio.create_task(sim.run("0", CALLER))
            listen = page.locator("#monitor-listen-anna")
            await expect(listen).to_be_visible(timeout=40_000)
            await page.screenshot(path=str(screenshot_path(SCREENSHOT)), full_page=True)
            await listen.click()
            await expect(page.locator("#monitor-message")).to_contain_text("Звоним")
            # The wallboard's next event redraws the panel; the answer stays (it was wiped by
            # every redraw, and a loaded run's redraw came before the check).
            async with page.expect_response(
                lambda r: r.url.endswith("/wallboard/monitor") and r.request.method == "GET"
            ):
                await page.evaluate("htmx.trigger('#monitor', 'sse:wallboard')")
            await expect(page.locator("#monitor-message")).to_contain_text("Звоним")
            # A refusal (409) is shown too, in the wallboard: htmx 2 swaps no 4xx answer, so
            # a supervisor never saw why a click did nothing.  Sent by htmx itself (a click
            # can land on a form a redraw has just put in, not yet htmx's: a native submit).
            async with page.expect_response(
                lambda r: r.url.endswith("/wallboard/monitor") and r.request.method == "POST"
            ) as refused:
                await page.evaluate(
                    """() => htmx.ajax('POST', '/wallboard/monitor', {
                        source: document.querySelector('#monitor-listen-anna').form,
                        target: '#monitor', swap: 'innerHTML',
                        values: {mode: 'listen', operator: 'nobody'}})"""
                )
            assert (await refused.value).status == 409
            await expect(page.locator("#monitor-message")).to_contain_text("Не выполнено")
            await expect(page.locator("#monitor #monitor-calls")).to_be_visible()
            assert page.url.endswith("/wallboard")

            # boris's phone runs ChanSpy on anna's channel; then the caller speaks.
            spy = await channel_where(engine.ami, 10, application="ChanSpy", context=CONTEXT_SPY)
            assert CONTEXT_SIMULATED_EAR in spy
            await engine.ami.action(
                {
                    "Action": "Setvar",
                    "Variable": SIM_VOICE,
                    "Value": str(recording_notice_sound(settings)),
                }
            )
            phone = await channel_where(engine.ami, 5, uniqueid="-phone")
            await engine.ami.action(
                {
                    "Action": "Redirect",
                    "Channel": phone,
                    "Context": CONTEXT_SIMULATED_VOICE,
                    "Exten": "s",
                    "Priority": "1",
                }
            )
            await asyncio.sleep(3.0)  # the notice plays (about 2 s) into the spied call
            await engine.ami.hangup(spy)  # the recording closes with boris's phone
            await browser.close()
            call.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await call
    finally:
        await ops.queue_action(engine.ami, engine.db, engine.settings, "anna", "logout", cli)

    async with asyncio.timeout(5):
        while not record.exists() or record.stat().st_size <= 44:
            await asyncio.sleep(0.2)
    try:
        assert loudest(record) > SPEECH_PEAK
    finally:
        record.unlink()
    [entry] = await AuditLog(engine.db).entries(action="monitor.listen")
    assert (entry.actor, entry.channel, entry.target) == ("boris", "web", "anna")
