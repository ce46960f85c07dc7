"""R-081 through the real Asterisk: a campaign call while the operators are closed (a calendar
override closes today).  The callee presses 0 and is not transferred: the offer is not played
and 0 does nothing, or, by the campaign's rule, 0 leaves a callback request.  Inside hours 0
still transfers (``test_dialer_calls.py::test_every_outcome_on_the_simulated_carrier``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dialer.model import CampaignRules, ClosedOperator
from dialer.repository import DialerStore
from hotline.app import Engine
from hotline.contact_center.schedule import CalendarOverrides
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.callbacks import CallbackStore
from hotline.store.enums import EventKind
from tests.dialer_support import results, running_campaign, short_scenario, wait_finished
from tests.e2e.engine_support import engine_settings
from tests.e2e.test_dialer_calls import FAST_DIALER

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts]

ALWAYS = "00:00-24:00"
# Calling hours around the clock: only the operator hours are closed.
CALL_ANY_TIME = {
    "max_attempts": 1,
    "weekday_hours": ALWAYS,
    "saturday_hours": ALWAYS,
    "sunday_hours": ALWAYS,
    "holiday_hours": ALWAYS,
}
# The simulated carrier's "7" answers and presses 0 every second.
PRESSES_ZERO = "+79131234567"
PRESSES_ZERO_TOO = "+79131234577"


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return engine_settings(tmp_path / "hotline.db", dialer=FAST_DIALER)


async def test_outside_operator_hours_zero_does_not_transfer(
    settings: Settings, tmp_path: Path
) -> None:
    engine = Engine(settings)  # the real clock: the override closes the real today
    store = DialerStore(engine.db)
    await engine.db.upgrade()
    today = datetime.now(UTC).astimezone(ZoneInfo(settings.hours.timezone)).date()
    await CalendarOverrides(engine.db).set(today, "", "e2e: operators closed")
    scenario = short_scenario().model_copy(update={"operator_prompt": "campaign.press0_operator"})
    ignore = await running_campaign(
        store,
        tmp_path,
        [PRESSES_ZERO],
        name="ignore",
        scenario=scenario,
        rules=CampaignRules.model_validate(CALL_ANY_TIME),
        now=datetime.now(UTC),
    )
    callback = await running_campaign(
        store,
        tmp_path,
        [PRESSES_ZERO_TOO],
        name="callback",
        scenario=short_scenario(),
        rules=CampaignRules.model_validate(
            {**CALL_ANY_TIME, "operator_closed": ClosedOperator.CALLBACK}
        ),
        now=datetime.now(UTC),
    )
    await engine.start()
    try:
        await wait_finished(store, "ignore", within=40)
        await wait_finished(store, "callback", within=40)
        got_ignore = await results(store, ignore.id)
        got_callback = await results(store, callback.id)
        attempts = await store.attempts_detail(ignore.id) + await store.attempts_detail(
            callback.id
        )
        await engine.call_log.flush()
        calls = {c.callee: c for c in await engine.call_log.recent(limit=10)}
        stored = await CallbackStore(engine.db).find()
    finally:
        await engine.stop()
    assert not any(a["transferred"] for a in attempts)
    # 0 did nothing: the whole message was heard, then the goodbye; no offer of an operator.
    assert got_ignore[PRESSES_ZERO][:2] == ("positive", "delivered")
    heard = [e.value for e in calls[PRESSES_ZERO].events if e.kind == EventKind.PROMPT]
    assert "campaign.press0_operator" not in heard
    assert heard[-1] == "campaign.thanks"
    assert calls[PRESSES_ZERO].outcome != "operator"
    # By the rule, 0 left a callback request to the number called, confirmed to the callee.
    assert [(c.number, c.source) for c in stored] == [(PRESSES_ZERO_TOO, "campaign")]
    assert got_callback[PRESSES_ZERO_TOO][1] != "transferred"
    events = calls[PRESSES_ZERO_TOO].events
    assert [e.value for e in events if e.kind == EventKind.CALLBACK] == [PRESSES_ZERO_TOO]
    heard = [e.value for e in events if e.kind == EventKind.PROMPT]
    assert heard[-2:] == ["operator.callback.accepted", "campaign.thanks"]
    assert calls[PRESSES_ZERO_TOO].outcome != "operator"
