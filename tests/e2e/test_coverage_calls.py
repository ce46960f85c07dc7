"""R-105 coverage through the real Asterisk (issue 22): a survey campaign built from the target
group's customers not surveyed within 12 months calls the one who was not (the simulated
carrier's far end 7900557ABCD presses A, B... after each question), and the coverage report
then counts that customer as surveyed; the customer rated lately is not called."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from dialer import coverage
from dialer.model import CampaignKind, Scenario, Step
from dialer.repository import DialerStore
from dialer.survey import Question, QuestionType
from hotline.app import Engine
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.accounts import AccountRecord, AccountStore
from hotline.store.audit import Actor
from hotline.store.ratings import RatingStore, months_before
from tests.dialer_support import NOW, ZONE, Clock, results, wait_finished
from tests.e2e.engine_support import engine_settings

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts]

FAST_DIALER = {
    "tick_seconds": 0.2,
    "calls_per_second": 20.0,
    "ring_seconds": 4.0,
    "same_number_gap_seconds": 0.0,
    "survey": {"answer_wait_seconds": 4.0, "asks": 1},
}
# Presses 5 to the one question (7900557 5 0 0 0: nothing after it).
UNCOVERED = "79005575000"
RATED = "79131234561"  # rated an operator call two months ago: covered, not called

SURVEY = Scenario(
    kind=CampaignKind.SURVEY,
    steps=(Step(prompt="campaign.intro"),),
    operator_prompt=None,
    questions=(Question(id="quality", prompt="campaign.survey.quality", type=QuestionType.SCALE),),
)


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return engine_settings(tmp_path / "hotline.db", dialer=FAST_DIALER)


def _account(number: str, phone: str) -> AccountRecord:
    return AccountRecord(
        number, "", "", "Asia/Krasnoyarsk", Decimal(0), None, None, None, None, (phone,), ()
    )


async def test_a_campaign_from_the_uncovered_makes_them_covered(settings: Settings) -> None:
    engine = Engine(settings, clock=Clock(NOW))
    store = DialerStore(engine.db)
    await engine.db.upgrade()
    await AccountStore(engine.db).upsert([_account("5001", UNCOVERED), _account("5002", RATED)])
    await RatingStore(engine.db).add("c1", "8" + RATED[1:], "anna", 5, months_before(NOW, 2))
    before = await coverage.report(engine.db, settings, NOW)
    await store.add_scenario("poll", SURVEY, "author", NOW)
    boris = Actor("boris", "cli")
    detail = await coverage.create_campaign(engine.db, settings, "gap", "poll", boris, now=NOW)
    await store.approve("gap", "manager", NOW)
    await store.start("gap", NOW, default_zone=ZONE)
    await engine.start()
    try:
        await wait_finished(store, "gap", within=60)
        got = await results(store, (await store.campaign("gap")).id)
    finally:
        await engine.stop()
    after = await coverage.report(engine.db, settings, NOW + timedelta(minutes=5))
    assert (before.group, before.covered, before.never) == (2, 1, 1)
    assert detail["contacts"] == 1 and list(got) == [f"+{UNCOVERED}"]
    assert got[f"+{UNCOVERED}"][0] == "positive"
    assert (after.group, after.covered, after.never, after.overdue) == (2, 2, 0, 0)
