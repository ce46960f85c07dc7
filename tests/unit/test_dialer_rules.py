"""Pure parts of the dialer: values, scenarios, outcome classification, calling windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from dialer.model import (
    TEMPLATES,
    CampaignKind,
    CampaignRules,
    PositiveRule,
    Reason,
    Result,
    SayKind,
    Scenario,
    Step,
    VariableError,
    parse_value,
)
from dialer.outcome import Playback, answered_verdict, unanswered_reason
from dialer.window import CallingWindow, WaitReason, retry_at
from hotline.speech.catalogue import Catalogue

MOSCOW = ZoneInfo("Europe/Moscow")
KRASNOYARSK = ZoneInfo("Asia/Krasnoyarsk")


@pytest.mark.parametrize(
    ("kind", "raw", "value"),
    [
        (SayKind.MONEY, "1 234,5", "1234.50"),
        (SayKind.MONEY, 7, "7.00"),
        (SayKind.DATE, "10.12.2026", "2026-12-10"),
        (SayKind.DATE, datetime(2026, 12, 10, 0, 0), "2026-12-10"),
        (SayKind.TIME, "09:30", "09:30"),
        (SayKind.PHONE, "8 (391) 200-00-00", "83912000000"),
        (SayKind.TEXT, " ул. Ленина, 5 ", "ул. Ленина, 5"),
    ],
)
def test_values_are_normalised(kind: SayKind, raw: object, value: str) -> None:
    assert parse_value(kind, raw) == value


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (SayKind.MONEY, "сто"),
        (SayKind.MONEY, "-5"),
        (SayKind.MONEY, "1.234"),
        (SayKind.DATE, "31.02.2026"),
        (SayKind.TIME, "25:00"),
        (SayKind.NUMBER, "1.5"),
        (SayKind.TEXT, ""),
    ],
)
def test_bad_values_are_refused(kind: SayKind, raw: str) -> None:
    with pytest.raises(VariableError):
        parse_value(kind, raw)


def test_a_scenario_needs_key_content_or_a_confirmation() -> None:
    with pytest.raises(ValidationError, match="key content"):
        Scenario(kind=CampaignKind.CUSTOM, steps=(Step(prompt="campaign.intro"),))
    with pytest.raises(ValidationError, match="needs `var`"):
        Step(say=SayKind.MONEY)


def test_templates_only_use_catalogue_prompts() -> None:
    catalogue = Catalogue.load(Path(__file__).resolve().parents[2] / "prompts", "Энергосбыт")
    for scenario in TEMPLATES.values():
        for prompt_id in scenario.prompt_ids():
            catalogue.require(prompt_id, used_by="test")


def test_unanswered_reasons() -> None:
    assert unanswered_reason("5", 17) is Reason.BUSY
    assert unanswered_reason("3", None) is Reason.NO_ANSWER
    assert unanswered_reason("8", 34) is Reason.FAILED
    assert unanswered_reason("0", 1) is Reason.INVALID_NUMBER
    assert unanswered_reason("1", 28) is Reason.INVALID_NUMBER
    assert unanswered_reason(None, None) is Reason.FAILED


@pytest.mark.parametrize(
    ("rule", "playback", "verdict"),
    [
        (
            PositiveRule.KEY_CONTENT,
            Playback(True, False, False),
            (Result.POSITIVE, Reason.DELIVERED),
        ),
        (
            PositiveRule.KEY_CONTENT,
            Playback(True, False, True),
            (Result.POSITIVE, Reason.DELIVERED),
        ),
        (
            PositiveRule.KEY_CONTENT,
            Playback(False, False, False),
            (Result.NEGATIVE, Reason.HUNG_UP_EARLY),
        ),
        (
            PositiveRule.KEY_CONTENT,
            Playback(False, False, True),
            (Result.NEGATIVE, Reason.TRANSFERRED),
        ),
        (
            PositiveRule.CONFIRMATION,
            Playback(True, True, False),
            (Result.POSITIVE, Reason.CONFIRMED),
        ),
        (
            PositiveRule.CONFIRMATION,
            Playback(True, False, False),
            (Result.NEGATIVE, Reason.NO_CONFIRMATION),
        ),
        (
            PositiveRule.CONFIRMATION,
            Playback(False, False, False),
            (Result.NEGATIVE, Reason.HUNG_UP_EARLY),
        ),
        (PositiveRule.ANSWERED, Playback(False, False, False), (Result.POSITIVE, Reason.ANSWERED)),
    ],
)
def test_answered_verdicts(
    rule: PositiveRule, playback: Playback, verdict: tuple[Result, Reason]
) -> None:
    assert answered_verdict(rule, playback) == verdict


def test_auto_rule_follows_the_scenario() -> None:
    rules = CampaignRules()
    assert rules.effective_positive_rule(TEMPLATES[CampaignKind.DEBT]) is PositiveRule.KEY_CONTENT
    assert (
        rules.effective_positive_rule(TEMPLATES[CampaignKind.TARIFF]) is PositiveRule.CONFIRMATION
    )


def test_window_is_ten_to_eight_on_working_days_in_the_contact_zone() -> None:
    window = CallingWindow(CampaignRules(), "Asia/Krasnoyarsk")
    tuesday_noon = datetime(2026, 11, 24, 12, 0, tzinfo=KRASNOYARSK)
    assert window.is_open(tuesday_noon)
    assert not window.is_open(datetime(2026, 11, 24, 9, 59, tzinfo=KRASNOYARSK))
    assert not window.is_open(datetime(2026, 11, 24, 20, 0, tzinfo=KRASNOYARSK))
    # 19:00 in Moscow is 23:00 in Krasnoyarsk: closed there, whatever Moscow says.
    assert not window.is_open(datetime(2026, 11, 24, 19, 0, tzinfo=MOSCOW))
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=KRASNOYARSK)
    assert not window.is_open(saturday)
    assert window.next_open(saturday) == datetime(2026, 11, 30, 10, 0, tzinfo=KRASNOYARSK)
    assert window.why_closed(saturday).code is WaitReason.DAY_OFF
    assert "выходной" in window.why_closed(saturday).text


def test_holidays_of_the_production_calendar_are_closed() -> None:
    window = CallingWindow(CampaignRules(), "Europe/Moscow")
    new_year = datetime(2027, 1, 4, 12, 0, tzinfo=MOSCOW)  # a Monday in the January holidays
    assert not window.is_open(new_year)
    assert window.why_closed(new_year).code is WaitReason.HOLIDAY
    assert window.why_closed(new_year).text.startswith("праздник (Новогодние каникулы)")
    reopens = window.next_open(new_year)
    assert reopens is not None and reopens.date() > new_year.date()
    assert reopens.time().hour == 10


def test_retries_land_in_the_next_window_and_not_after_the_end() -> None:
    window = CallingWindow(CampaignRules(), "Europe/Moscow")
    friday_late = datetime(2026, 11, 27, 19, 50, tzinfo=MOSCOW)
    monday = datetime(2026, 11, 30, 10, 0, tzinfo=MOSCOW)
    assert retry_at(window, friday_late, timedelta(minutes=5), None) == friday_late + timedelta(
        minutes=5
    )
    assert retry_at(window, friday_late, timedelta(minutes=15), None) == monday
    assert retry_at(window, friday_late, timedelta(minutes=15), monday) is None
    assert (
        retry_at(
            window,
            friday_late,
            timedelta(minutes=15),
            monday.astimezone(UTC) + timedelta(seconds=1),
        )
        == monday
    )
