"""Campaign calls through the real Asterisk: each outcome and reason on the simulated carrier
(the last digit of the number picks the far end's behaviour)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dialer.model import CampaignRules, Reason
from dialer.repository import DialerStore
from hotline.app import Engine
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.db import Database
from tests.dialer_support import (
    NOW,
    Clock,
    results,
    running_campaign,
    short_scenario,
    wait_finished,
)
from tests.e2e.engine_support import engine_settings, wait_for_udp_port

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts]

FAST_DIALER = {
    "tick_seconds": 0.2,
    "calls_per_second": 20.0,
    "ring_seconds": 4.0,
    "confirm_wait_seconds": 2.5,
    "same_number_gap_seconds": 0.0,
}
ONE_ATTEMPT = CampaignRules(max_attempts=1)
MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return engine_settings(tmp_path / "hotline.db", dialer=FAST_DIALER)


async def _hang_up_transfers(engine: Engine, store: DialerStore, campaign_id: int) -> None:
    """The operator queue has nobody in it: hang up callees once they are transferred."""
    done: set[str] = set()
    while True:
        for attempt in await store.attempts_detail(campaign_id):
            if attempt["transferred"] and attempt["attempt"] not in done:
                await asyncio.sleep(0.5)
                try:
                    await engine.ami.hangup(attempt["attempt"])
                except Exception:
                    continue
                done.add(attempt["attempt"])
        await asyncio.sleep(0.3)


async def test_every_outcome_on_the_simulated_carrier(settings: Settings, tmp_path: Path) -> None:
    phones = {
        "+79131234561": ("positive", Reason.DELIVERED),
        "+79131234563": ("negative", Reason.HUNG_UP_EARLY),
        "+79131234564": ("negative", Reason.BUSY),
        "+79131234565": ("negative", Reason.NO_ANSWER),
        "+79131234566": ("negative", Reason.FAILED),
        "+79131234567": ("negative", Reason.TRANSFERRED),
        "+79131234568": ("negative", Reason.INVALID_NUMBER),
    }
    engine = Engine(settings, clock=Clock(NOW))
    store = DialerStore(engine.db)
    await engine.db.upgrade()
    campaign = await running_campaign(store, tmp_path, list(phones), rules=ONE_ATTEMPT)
    await engine.start()
    hangups = asyncio.create_task(_hang_up_transfers(engine, store, campaign.id))
    try:
        await wait_finished(store, "test", within=60)
    finally:
        hangups.cancel()
        await engine.stop()
    db = Database(settings.database_url)
    try:
        got = await results(DialerStore(db), campaign.id)
        attempts = await DialerStore(db).attempts_detail(campaign.id)
    finally:
        await db.dispose()
    assert {p: (r, Reason(why)) for p, (r, why, _n) in got.items()} == phones
    assert all(n == 1 for _r, _w, n in got.values())
    by_phone = {a["phone"]: a for a in attempts}
    assert by_phone["+79131234561"]["key_played"] is True
    assert by_phone["+79131234563"]["key_played"] is False
    assert by_phone["+79131234567"]["transferred"] is True


async def test_press_one_to_confirm(settings: Settings, tmp_path: Path) -> None:
    engine = Engine(settings, clock=Clock(NOW))
    store = DialerStore(engine.db)
    await engine.db.upgrade()
    campaign = await running_campaign(
        store,
        tmp_path,
        ["+79131234562", "+79131234561"],
        scenario=short_scenario(confirm=True),
        rules=ONE_ATTEMPT,
    )
    await engine.start()
    try:
        await wait_finished(store, "test", within=60)
        got = await results(store, campaign.id)
        calls = await engine.call_log.recent(limit=10)
    finally:
        await engine.stop()
    assert got["+79131234562"][:2] == ("positive", Reason.CONFIRMED)
    assert got["+79131234561"][:2] == ("negative", Reason.NO_CONFIRMATION)
    # The call log has the outbound calls, answered, with what was played.
    outbound = [c for c in calls if c.direction == "outbound"]
    assert {c.callee for c in outbound} == {"+79131234562", "+79131234561"}
    assert all(c.answered_at is not None and c.ended_at is not None for c in outbound)


async def test_retry_lands_in_the_next_window(settings: Settings, tmp_path: Path) -> None:
    # Friday 2026-11-27 19:59:50 in Moscow: the busy number's retry (1 minute later) falls
    # after 20:00, so it lands on Monday 10:00 (the weekend is closed).
    friday = datetime(2026, 11, 27, 19, 59, 50, tzinfo=MOSCOW)
    monday_open = datetime(2026, 11, 30, 10, 0, tzinfo=MOSCOW)
    clock = Clock(friday)
    # The campaign's own zone: Moscow (contacts without one default to the installation's).
    rules = CampaignRules(max_attempts=2, retry_minutes={Reason.BUSY: 1}, timezone="Europe/Moscow")
    engine = Engine(settings, clock=clock)
    store = DialerStore(engine.db)
    await engine.db.upgrade()
    campaign = await running_campaign(store, tmp_path, ["+79131234564"], rules=rules, now=friday)
    await engine.start()
    try:
        async with asyncio.timeout(30):
            while (target := (await store.targets_detail(campaign.id))[0])["attempts"] < 1 or (
                target["state"] != "pending"
            ):
                await asyncio.sleep(0.2)
        assert datetime.fromisoformat(target["next_attempt_at"]) == monday_open
        assert target["reason"] == Reason.BUSY
        await asyncio.sleep(1.0)  # the clock stands still: nothing is redialled
        assert (await store.targets_detail(campaign.id))[0]["attempts"] == 1
        clock.at = monday_open + timedelta(seconds=5)
        finished = await wait_finished(store, "test", within=30)
        got = await results(store, finished.id)
    finally:
        await engine.stop()
    assert got["+79131234564"] == ("negative", Reason.BUSY, 2)


async def test_a_campaign_call_over_the_sip_trunk(tmp_path: Path, sandbox: Sandbox) -> None:
    """The sandbox's PJSIP trunk: SIPp answers as the far end (UAS) at 127.0.0.1:5070."""
    settings = engine_settings(
        tmp_path / "hotline.db",
        dialer={**FAST_DIALER, "trunk": "PJSIP/{number}@hotline-sim-trunk"},
    )
    port = settings.sandbox.sim_trunk_port
    argv = [
        sandbox.sipp_path, "-sn", "uas", "-i", "127.0.0.1", "-p", str(port),
        "-m", "1", "-timeout", "40", "-timeout_error", "-nostdin",
    ]  # fmt: skip
    far_end = asyncio.create_task(asyncio.to_thread(sandbox.run_in_chroot, argv, 45.0))
    await wait_for_udp_port(port)  # SIPp binds its port
    engine = Engine(settings, clock=Clock(NOW))
    store = DialerStore(engine.db)
    await engine.db.upgrade()
    campaign = await running_campaign(store, tmp_path, ["+79131234500"], rules=ONE_ATTEMPT)
    await engine.start()
    try:
        await wait_finished(store, "test", within=40)
        got = await results(store, campaign.id)
    finally:
        await engine.stop()
    sipp = await far_end
    assert sipp.returncode == 0, sipp.stdout[-1500:] + sandbox.log_tail(30)
    assert got["+79131234500"] == ("positive", Reason.DELIVERED, 1)
