"""R-081: on a campaign call the operator key follows the operator hours in force: inside
them 0 is offered and transfers; outside, nothing is offered and 0 does nothing, or (by the
campaign's rules) 0 takes a callback request."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast

from dialer.model import CampaignRules, ClosedOperator, Scenario
from dialer.playback import ScenarioPlayer, ZeroKey
from hotline.contact_center.hours import OperatorHours, Override
from hotline.settings import DialerSettings, HoursSettings
from tests.dialer_support import short_scenario

# Tuesday 2026-11-24, 16:00 in Krasnoyarsk: inside the default operator hours (08:00-20:00).
AFTERNOON = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
# The same day, 21:00 local: after the operators have gone home.
NIGHT = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
OFFERING = short_scenario().model_copy(update={"operator_prompt": "campaign.press0_operator"})


def player(hours: OperatorHours, at: datetime, *, callbacks: bool = True) -> ScenarioPlayer:
    async def current() -> OperatorHours:
        return hours

    return ScenarioPlayer(
        DialerSettings(),
        cast(Any, None),
        cast(Any, None),
        cast(Any, None),
        cast(Any, None),
        lambda: at,
        operator_key="0",
        say_zero_kopecks=False,
        simulated=True,
        hours=current,
        callbacks=cast(Any, object()) if callbacks else None,
    )


async def zero(
    at: datetime, rules: CampaignRules, scenario: Scenario = OFFERING, **kw: Any
) -> ZeroKey:
    hours = kw.pop("hours", OperatorHours(HoursSettings()))
    return await player(hours, at, **kw).zero_key(scenario, rules)


async def test_inside_hours_zero_is_offered_and_transfers() -> None:
    assert await zero(AFTERNOON, CampaignRules()) == ZeroKey(
        "0", "campaign.press0_operator", False
    )


async def test_outside_hours_nothing_is_offered_and_zero_does_nothing() -> None:
    assert await zero(NIGHT, CampaignRules()) == ZeroKey("", None, False)


async def test_a_closing_override_counts_as_outside_hours() -> None:
    closed = OperatorHours(HoursSettings(), {date(2026, 11, 24): Override("", "inventory")})
    assert await zero(AFTERNOON, CampaignRules(), hours=closed) == ZeroKey("", None, False)


async def test_by_rule_zero_takes_a_callback_outside_hours() -> None:
    rules = CampaignRules(operator_closed=ClosedOperator.CALLBACK)
    assert await zero(NIGHT, rules) == ZeroKey("0", "campaign.press0_callback", True)
    # A scenario that offers no operator offers no callback either; 0 still takes one.
    silent = await zero(NIGHT, rules, short_scenario())
    assert silent == ZeroKey("0", None, True)
    # Without a callbacks store wired, 0 does nothing.
    assert await zero(NIGHT, rules, callbacks=False) == ZeroKey("", None, False)
    # Inside hours the rule changes nothing.
    assert (await zero(AFTERNOON, rules)).callback is False
