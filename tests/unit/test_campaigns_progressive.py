"""Progressive campaigns (issue 22 item 2): free operators from QueueStatus, the pacing (one
call per free operator, the ratio once measured and below the 3 % abandon cap), the abandon
rate from the attempt counts, the verdict, the contact's values for the screen pop."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dialer.model import CampaignRules, DialMode, PositiveRule, Reason, Result
from dialer.outcome import Playback, answered_verdict
from dialer.progressive import AbandonRate, abandon_rate, free_operators, slots
from hotline.dialplan.contact_pop import contact_text, parse_contact
from hotline.protocol.ami import AmiEvent
from hotline.settings import ProgressiveSettings, Settings

QUEUE = "hotline-operators"


def _member(status: str, *, paused: str = "0", incall: str = "0", queue: str = QUEUE) -> AmiEvent:
    return AmiEvent.from_headers(
        [
            ("Event", "QueueMember"),
            ("Queue", queue),
            ("Status", status),
            ("Paused", paused),
            ("InCall", incall),
        ]
    )


def test_free_operators_are_logged_in_unpaused_idle_members_of_the_queue() -> None:
    events = [
        _member("1"),
        _member("1"),
        _member("1", paused="1"),
        _member("1", incall="1"),
        _member("2"),  # in use
        _member("5"),  # unavailable
        _member("1", queue="other"),
        AmiEvent.from_headers([("Event", "QueueParams"), ("Queue", QUEUE)]),
    ]
    assert free_operators(events, QUEUE) == 2


def test_one_call_per_free_operator_less_the_calls_in_flight() -> None:
    settings = ProgressiveSettings()
    rate = AbandonRate(0, 0)
    assert slots(2, 0, 1.0, rate, settings) == (2, 1.0)
    assert slots(2, 1, 1.0, rate, settings) == (1, 1.0)
    assert slots(1, 1, 1.0, rate, settings) == (0, 1.0)
    assert slots(0, 0, 1.0, rate, settings) == (0, 1.0)
    assert slots(1, 3, 1.0, rate, settings) == (0, 1.0)


def test_the_ratio_applies_once_measured_and_below_the_abandon_cap() -> None:
    settings = ProgressiveSettings()  # 3 %, 20 answered calls to measure
    assert settings.max_abandon_percent == 3.0
    # Not measured yet: one call per operator.
    assert slots(2, 0, 1.5, AbandonRate(19, 0), settings) == (2, 1.0)
    assert slots(2, 0, 1.5, AbandonRate(100, 2), settings) == (3, 1.5)
    # At the cap (3 of 100 abandoned): back to one call per operator.
    assert slots(2, 0, 1.5, AbandonRate(100, 3), settings) == (2, 1.0)
    assert slots(3, 1, 2.0, AbandonRate(50, 0), settings) == (5, 2.0)


def test_the_abandon_rate_counts_answered_callees_put_through() -> None:
    counts = [
        (1, "ended", Reason.OPERATOR_TALKED.value, 30),
        (2, "ended", Reason.OPERATOR_TALKED.value, 8),
        (1, "ended", Reason.ABANDONED.value, 2),
        (1, "ended", Reason.NO_ANSWER.value, 40),
        (1, "dialing", None, 1),
    ]
    rate = abandon_rate(counts)
    assert rate == AbandonRate(40, 2) and rate.percent == 5.0
    assert AbandonRate(0, 0).percent == 0.0


def test_a_progressive_verdict_is_whether_an_operator_took_the_callee() -> None:
    rule = PositiveRule.KEY_CONTENT
    took = Playback(False, False, True, progressive=True, operator=True)
    left = Playback(False, False, True, progressive=True)
    machine = Playback(False, False, False, machine=True, progressive=True)
    assert answered_verdict(rule, took) == (Result.POSITIVE, Reason.OPERATOR_TALKED)
    assert answered_verdict(rule, left) == (Result.NEGATIVE, Reason.ABANDONED)
    assert answered_verdict(rule, machine) == (Result.NEGATIVE, Reason.MACHINE)


def test_the_mode_and_ratio_are_campaign_rules_with_safe_defaults() -> None:
    rules = CampaignRules()
    assert rules.mode is DialMode.AGENTLESS and rules.ratio == 1.0 and rules.queue is None
    assert CampaignRules(mode="progressive", ratio=1.5).mode is DialMode.PROGRESSIVE  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        CampaignRules(ratio=0.5)
    with pytest.raises(ValidationError):
        CampaignRules(ratio=4)
    assert Settings().dialer.progressive.max_abandon_percent == 3.0


def test_the_contact_values_for_the_pop_survive_the_channel_variable() -> None:
    variables = {"amount": "1234.50", "address": "ул. Ленина, 5; кв. 2", "secret": "x"}
    text = contact_text(variables, frozenset({"amount", "address"}))
    assert "\n" not in text and "secret" not in text
    assert parse_contact(text) == {"address": "ул. Ленина, 5, кв. 2", "amount": "1234.50"}
    assert parse_contact("") == {} and parse_contact(None) == {}
    assert contact_text({"a": "x=\ny"}, frozenset({"a"})) == "a=x y"


def test_the_benchmark_pacing_keeps_the_abandon_rate_near_the_cap() -> None:
    from bench.dialer_progressive import simulate

    settings = ProgressiveSettings()
    assert simulate(1.0, settings).abandoned == 0  # one call per free operator
    for ratio in (2.0, 3.0):
        result = simulate(ratio, settings)
        assert result.abandoned > 0 and result.abandon_percent < settings.max_abandon_percent + 0.5
