"""Issue 17 item 4 (R-030, R-041) through the real Asterisk: a simulated caller reaches the
operator anna; from her console (Chromium, `hotline web` as its own process) she transfers
the call blind to the dispatcher's queue with a reason; the simulated dispatcher nina answers
and her screen pop shows the same call (call id, caller, IVR path); the transfer is stored
with its reason, audited, and its answer timed against 40 s."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from hotline.app import Engine
from hotline.contact_center import operators as ops
from hotline.contact_center.transfers import transfer_call
from hotline.dialplan.names import CONTEXT_TRANSFER, TRANSFER_TO_PHONE
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.audit import Actor, AuditLog
from hotline.store.models.transfers import TransferKind, TransferTarget
from hotline.store.queue_events import QueueEvents
from hotline.store.transfers import Transfers
from tests.e2e.engine_support import engine_settings, simulator
from tests.e2e.web_support import CHROMIUM
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts]

CALLER = "79004445588"
REASON = "нужен специалист по расчётам"


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    # The caller stays on the line through both queues (the simulator would hang up).
    return engine_settings(
        tmp_path / "transfer.db", simulate={"max_call_seconds": 60.0, "queue_linger_seconds": 30.0}
    )


async def connected(engine: Engine, operator: str, within: float = 40.0) -> str:
    """The uniqueid of the call ``operator`` answers."""
    events = QueueEvents(engine.db)
    async with asyncio.timeout(within):
        while (connect := await events.latest_connect(operator)) is None:
            await asyncio.sleep(0.2)
    return connect.uniqueid


async def test_blind_transfer_to_the_dispatcher_keeps_the_call_context(
    engine: Engine, console: str
) -> None:
    cli = Actor("test", "cli")
    # anna answers after 1 s and talks 30 s (until transferred); nina answers after 1 s.
    await engine.operators.add("anna", ops.simulated_interface("anna", 1, 30), simulated=True)
    await engine.operators.add(
        "nina", ops.simulated_interface("nina", 1, 3), simulated=True, department="dispatcher"
    )
    for name in ("anna", "nina"):
        await ops.queue_action(engine.ami, engine.db, engine.settings, name, "login", cli)
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
            await expect(page.locator("#pop-caller")).to_have_text(CALLER, timeout=40_000)
            first = await ops.current_screen(engine.db, "anna", engine.ami)
            assert first is not None

            await page.select_option("#transfer-kind", "blind")
            await page.select_option("#transfer-target-kind", "queue")
            await page.select_option("#transfer-department", "dispatcher")
            await page.fill("#transfer-reason", REASON)
            await page.click("#transfer-submit")
            await expect(page.locator("#transfer-message")).to_contain_text(
                "передан (без консультации)"
            )

            assert await connected(engine, "nina") == first["uniqueid"]
            second = await ops.current_screen(engine.db, "nina", engine.ami)
            await browser.close()
            call.cancel()  # the simulator hangs its phone up
    finally:
        for name in ("anna", "nina"):
            await ops.queue_action(engine.ami, engine.db, engine.settings, name, "logout", cli)

    # The receiving operator's screen pop shows the same call and its IVR context.
    assert second is not None
    for key in ("call_id", "uniqueid", "caller", "path", "operator_reason"):
        assert second[key] == first[key], key
    [transfer] = await Transfers(engine.db).for_uniqueid(first["uniqueid"])
    assert (transfer.kind, transfer.target_kind, transfer.target) == (
        TransferKind.BLIND,
        TransferTarget.QUEUE,
        "dispatcher",
    )
    assert transfer.operator == "anna" and transfer.reason == REASON
    assert transfer.answered_by == "nina"
    assert transfer.answer_seconds is not None and transfer.answer_seconds < 40
    entries = await AuditLog(engine.db).entries(action="call.transfer")
    assert [(e.actor, e.target) for e in entries] == [("anna", first["call_id"])]


async def test_attended_transfer_to_a_named_specialist(engine: Engine) -> None:
    """anna consults the specialist vera (AMI Atxfer; vera is in no queue), then hangs up:
    the caller is put through to the call that reached vera."""
    cli = Actor("test", "cli")
    await engine.operators.add("anna", ops.simulated_interface("anna", 1, 6), simulated=True)
    await engine.operators.add("vera", ops.simulated_interface("vera", 1, 20), simulated=True)
    await ops.queue_action(engine.ami, engine.db, engine.settings, "anna", "login", cli)
    try:
        async with simulator(engine.settings) as (sim, _log, _ami):
            call = asyncio.create_task(sim.run("0", CALLER))
            uniqueid = await connected(engine, "anna")
            record = await transfer_call(
                engine.ami,
                engine.db,
                engine.settings,
                "anna",
                TransferKind.ATTENDED,
                TransferTarget.OPERATOR,
                "vera",
                REASON,
                Actor("anna", "web"),
            )
            caller_call = await engine.call_log.get(uniqueid=uniqueid)
            assert caller_call is not None and caller_call.channel is not None
            channel = caller_call.channel
            # vera answers the consultation call (its own uniqueid) after 1 s: her answer is
            # timed against 40 s and her screen pop is the caller's call.
            transfers = Transfers(engine.db)
            async with asyncio.timeout(15):
                while (await transfers.for_uniqueid(uniqueid))[0].answered_at is None:
                    await asyncio.sleep(0.2)
            pop = await ops.current_screen(engine.db, "vera", engine.ami)
            assert pop is not None
            assert (pop["call_id"], pop["uniqueid"]) == (caller_call.id, uniqueid)
            # anna hangs up after her 6 s: the caller is bridged to the consultation call
            # that rang vera.
            consultation = f"Local/{TRANSFER_TO_PHONE}@{CONTEXT_TRANSFER}-"
            async with asyncio.timeout(15):
                while not (await engine.ami.getvar(channel, "BRIDGEPEER") or "").startswith(
                    consultation
                ):
                    await asyncio.sleep(0.3)
            call.cancel()
    finally:
        await ops.queue_action(engine.ami, engine.db, engine.settings, "anna", "logout", cli)
    assert record.kind is TransferKind.ATTENDED and record.uniqueid == uniqueid
    [answered] = await Transfers(engine.db).for_uniqueid(uniqueid)
    assert answered.answered_by == "vera"
    assert answered.answer_seconds is not None and answered.answer_seconds < 40
