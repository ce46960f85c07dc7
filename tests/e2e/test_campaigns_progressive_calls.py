"""A progressive campaign through the real Asterisk (issue 22 item 2): one simulated
operator; the dialer calls only while the operator is free, so never two callees wait for
one operator; each answered callee reaches the operator with the contact's values on the
screen pop; the operator and the talk time are logged with the attempt."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest

from dialer.model import CampaignRules, DialMode, Reason
from dialer.repository import DialerStore
from hotline.app import Engine
from hotline.contact_center import operators as ops
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from tests.dialer_support import NOW, Clock, results, running_campaign, wait_finished
from tests.e2e.engine_support import engine_settings

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts]

FAST_DIALER = {
    "tick_seconds": 0.2,
    "calls_per_second": 20.0,
    "ring_seconds": 4.0,
    "same_number_gap_seconds": 0.0,
}
# The far end answers and listens (last digit 1).
PHONES = ["+79131234561", "+79131234571"]
OPERATOR = "olga"
IN_FLIGHT = ("dialing", "answered")


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return engine_settings(tmp_path / "hotline.db", dialer=FAST_DIALER)


async def _watch(
    engine: Engine, store: DialerStore, campaign_id: int, waiting: list[int], pops: dict[str, Any]
) -> None:
    """Sample the callees not yet with an operator, and the operator's screen pop."""
    while True:
        rows = await store.attempts_detail(campaign_id)
        waiting.append(sum(1 for r in rows if r["status"] in IN_FLIGHT and not r["operator"]))
        with contextlib.suppress(Exception):
            pop = await ops.current_screen(engine.db, OPERATOR, engine.ami)
            if pop is not None and pop["contact"]:
                pops.setdefault(pop["uniqueid"], pop)
        await asyncio.sleep(0.1)


async def test_one_operator_takes_each_callee_in_turn_with_the_pop(
    settings: Settings, tmp_path: Path
) -> None:
    engine = Engine(settings, clock=Clock(NOW))
    store = DialerStore(engine.db)
    await engine.db.upgrade()
    rules = CampaignRules(max_attempts=1, mode=DialMode.PROGRESSIVE)
    campaign = await running_campaign(store, tmp_path, PHONES, rules=rules)
    await engine.start()
    waiting: list[int] = []
    pops: dict[str, Any] = {}
    watch = asyncio.create_task(_watch(engine, store, campaign.id, waiting, pops))
    try:
        # Nobody logged in: nothing is dialled.
        await asyncio.sleep(1.0)
        assert await store.attempts_detail(campaign.id) == []
        await engine.operators.add(
            OPERATOR, ops.simulated_interface(OPERATOR, 1, 2), simulated=True
        )
        await ops.login(engine.ami, engine.operators, engine.settings, OPERATOR)
        await wait_finished(store, "test", within=60)
        # The talk time comes with AgentComplete, which may follow the attempt's end.
        async with asyncio.timeout(15):
            while True:
                attempts = await store.attempts_detail(campaign.id)
                if all(a["talk_seconds"] is not None for a in attempts):
                    break
                await asyncio.sleep(0.2)
        got = await results(store, campaign.id)
    finally:
        watch.cancel()
        with contextlib.suppress(Exception):
            await ops.logout(engine.ami, engine.operators, engine.settings, OPERATOR)
        await engine.stop()
    assert max(waiting) == 1
    assert {p: r[:2] for p, r in got.items()} == {
        p: ("positive", Reason.OPERATOR_TALKED) for p in PHONES
    }
    assert {a["operator"] for a in attempts} == {OPERATOR}
    assert all(a["talk_seconds"] is not None and a["talk_seconds"] >= 1 for a in attempts)
    # One call after the other: the second was dialled once the first was with the operator.
    first, second = sorted(attempts, key=lambda a: a["created_at"])
    assert second["created_at"] >= first["answered_at"]
    # Each callee reached the operator with the contact's values on the screen.
    assert set(pops) == {a["attempt"] for a in attempts}
    assert all(pop["contact"] == {"amount": "1234.50"} for pop in pops.values())
    assert {pop["caller"] for pop in pops.values()} == set(PHONES)
