"""The rating after an operator call through the sandbox (issue 16 item 5; R-105, R-108): a
simulated caller reaches a simulated operator, the operator hangs up, the caller hears the
question, presses 4 and the rating is stored with the operator's name; a second call from
the same number within the cap is not asked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.contact_center import operators as ops
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.calllog import CallLog
from hotline.store.enums import EventKind
from hotline.store.ratings import RatingStore
from ivr import prompts
from tests.e2e.engine_support import engine_settings, simulator

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts]

CALLER = "79001234577"
OPERATOR = "op.rated"


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return engine_settings(
        tmp_path / "rating.db",
        queue={"answer_target": 10},
        simulate={"queue_linger_seconds": 30.0, "max_call_seconds": 90.0},
        rating={"enabled": True},
    )


@pytest.fixture
async def operator(engine: Engine) -> AsyncIterator[str]:
    interface = ops.simulated_interface(OPERATOR, 1, 3)
    await engine.operators.add(OPERATOR, interface, simulated=True)
    await ops.login(engine.ami, engine.operators, engine.settings, OPERATOR)
    yield OPERATOR
    await ops.logout(engine.ami, engine.operators, engine.settings, OPERATOR)


async def prompts_heard(call_log: CallLog, uniqueid: str) -> list[str]:
    await call_log.flush()
    call = await call_log.get(uniqueid=uniqueid)
    assert call is not None
    return [e.value for e in call.events if e.kind == EventKind.PROMPT]


async def test_rated_once_then_not_asked_within_the_cap(engine: Engine, operator: str) -> None:
    store = RatingStore(engine.db)
    async with simulator(engine.settings) as (sim, _log, _ami):
        first = await sim.run("0|4", CALLER)
    await asyncio.sleep(1.0)  # the engine's batched call events
    assert first.digits_received.endswith("4"), first
    heard = await prompts_heard(engine.call_log, first.uniqueid)
    assert heard[-3:] == [prompts.RATING_ASK, prompts.RATING_THANKS, prompts.GOODBYE], heard
    assert await store.for_call(first.uniqueid) == [(operator, 4)]

    async with simulator(engine.settings) as (sim, _log, _ami):
        second = await sim.run("0|5", CALLER)
    await asyncio.sleep(1.0)
    heard = await prompts_heard(engine.call_log, second.uniqueid)
    assert prompts.RATING_ASK not in heard, heard
    assert await store.for_call(second.uniqueid) == []
