"""Survey campaigns through the real Asterisk (issue 22 item 1; R-105-R-108): the simulated
carrier's far end 7900557ABCD presses A, B, C, D after each question; the answers are stored
per question, the branching follows them (1 to «resolved» ends the survey), and a second
survey to the same customer within the frequency cap is refused at import and at dial
time."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer import operations
from dialer.model import CampaignKind, CampaignRules, CampaignState, Reason, Scenario, Step
from dialer.repository import DialerStore
from dialer.survey import Question, QuestionType
from hotline.app import Engine
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.db import Database
from tests.dialer_support import NOW, ZONE, Clock, results, wait_finished, write_csv
from tests.e2e.engine_support import engine_settings

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts]

FAST_DIALER = {
    "tick_seconds": 0.2,
    "calls_per_second": 20.0,
    "ring_seconds": 4.0,
    "same_number_gap_seconds": 0.0,
    "survey": {"answer_wait_seconds": 4.0, "asks": 1},
}
# Presses 4 (quality), then 1 (resolved: the branch ends the survey there, «improve» is
# never asked; the other branch is unit-tested, tests/unit/test_campaigns_survey.py).
QUICK = "+79005574100"

SURVEY = Scenario(
    kind=CampaignKind.SURVEY,
    steps=(Step(prompt="campaign.intro"),),
    operator_prompt=None,
    questions=(
        Question(id="quality", prompt="campaign.survey.quality", type=QuestionType.SCALE),
        Question(
            id="resolved",
            prompt="campaign.survey.resolved",
            type=QuestionType.YES_NO,
            next={"1": "end"},
        ),
        Question(id="improve", prompt="campaign.survey.improve", type=QuestionType.CHOICE),
    ),
)


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return engine_settings(tmp_path / "hotline.db", dialer=FAST_DIALER)


async def _survey(
    db: Database, settings: Settings, tmp_path: Path, name: str, phones: list[str]
) -> tuple[int, list[str]]:
    """A survey campaign with ``phones`` imported as the CLI does (the cap checked at the
    engine's clock) and approved; returns its id and the rows dropped at import."""
    store = DialerStore(db)
    version = await store.add_scenario(f"{name}-scenario", SURVEY, "author", NOW)
    await store.create_campaign(name, version.id, CampaignRules(max_attempts=1), "author", NOW)
    path = write_csv(tmp_path / f"{name}.csv", [{"phone": p} for p in phones])
    report = await operations.check_contacts(db, settings, name, path, now=NOW)
    assert report.ok, report.errors
    if report.contacts:
        await store.attach_list(name, f"{name}-list", str(path), report, "author", NOW)
        await store.approve(name, "manager", NOW)
    return (await store.campaign(name)).id, [str(p) for p in report.dropped]


async def test_a_survey_stores_the_answers_and_the_cap_refuses_a_second(
    settings: Settings, tmp_path: Path
) -> None:
    engine = Engine(settings, clock=Clock(NOW))
    store = DialerStore(engine.db)
    await engine.db.upgrade()
    first, dropped = await _survey(engine.db, settings, tmp_path, "first", [QUICK])
    assert dropped == []
    # Imported before anyone was surveyed: the cap stops it when it is about to dial.
    second, dropped = await _survey(engine.db, settings, tmp_path, "second", [QUICK])
    assert dropped == []
    await store.start("first", NOW, default_zone=ZONE)
    await engine.start()
    try:
        await wait_finished(store, "first", within=90)
        await store.start("second", NOW, default_zone=ZONE)
        finished = await wait_finished(store, "second", within=15)
        answers = await store.survey_answers(first)
        got_first = await results(store, first)
        got_second = await results(store, second)
        third, dropped = await _survey(
            engine.db, settings, tmp_path, "third", [QUICK, "+79131234561"]
        )
    finally:
        await engine.stop()
    by_phone: dict[str, dict[str, int]] = {}
    for _attempt, phone, question, answer, _at in answers:
        by_phone.setdefault(phone, {})[question] = answer
    assert by_phone == {QUICK: {"quality": 4, "resolved": 1}}
    assert [question for _a, _p, question, _n, _at in answers] == ["quality", "resolved"]
    assert got_first[QUICK][:2] == ("positive", Reason.SURVEY_COMPLETED)
    # Dial time: closed without a call.
    assert finished.state is CampaignState.FINISHED
    assert got_second[QUICK] == ("negative", Reason.SURVEY_CAP, 0)
    # Import: the surveyed customer's row is dropped with the reason, the other one kept.
    assert len(dropped) == 1 and "R-105" in dropped[0] and dropped[0].startswith("row 2")
    assert third > second
