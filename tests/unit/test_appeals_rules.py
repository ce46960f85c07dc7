"""The appeal register's pure rules: deadlines over the Russian production calendar (R-116,
R-111), the status transition table (R-120, R-122), the classifier (R-121, R-149) and reply
channels with fallbacks (R-117)."""

from __future__ import annotations

from datetime import date

import pytest

from hotline.appeals.deadlines import WorkingDays, deadline_rule, due
from hotline.appeals.model import (
    TRANSITIONS,
    AppealError,
    check_move,
    classify,
    mask,
    reply_order,
)
from hotline.settings import AppealSettings, Deadline
from hotline.store.enums import AppealChannel, AppealStatus, ReplyChannel

SETTINGS = AppealSettings()


def test_friday_before_victory_day() -> None:
    # Registered Fri 2026-05-08.  Sat 9 (Victory Day), Sun 10 and Mon 11 (the holiday moved
    # off Saturday) are days off, so the working days after it are Tue 12, Wed 13, Thu 14,
    # Fri 15, then Mon 18.
    calendar = WorkingDays()
    assert due(date(2026, 5, 8), Deadline(days=1), calendar) == date(2026, 5, 12)
    assert due(date(2026, 5, 8), Deadline(days=3), calendar) == date(2026, 5, 14)
    assert due(date(2026, 5, 8), Deadline(days=5), calendar) == date(2026, 5, 18)
    # Calendar days ignore holidays: 30 days after 8 May is 7 June.
    assert due(date(2026, 5, 8), Deadline(days=30, working=False), calendar) == date(2026, 6, 7)


def test_before_new_year() -> None:
    # Registered Wed 2026-12-30.  Thu 31 December (moved from Sat 3 January) and 1-10 January
    # 2027 are days off; the first working day is Mon 11 January, the fifth Fri 15 January.
    calendar = WorkingDays()
    assert due(date(2026, 12, 30), Deadline(days=1), calendar) == date(2027, 1, 11)
    assert due(date(2026, 12, 30), Deadline(days=5), calendar) == date(2027, 1, 15)


def test_override_closing_a_day_moves_the_deadline() -> None:
    # A regional day off (a supervisor's calendar override, closed) is not a working day.
    calendar = WorkingDays(closed=[date(2026, 5, 12)])
    assert due(date(2026, 5, 8), Deadline(days=1), calendar) == date(2026, 5, 13)


def test_deadline_rules_from_the_catalogue() -> None:
    assert deadline_rule(SETTINGS, "complaint", "quality") == Deadline(days=3, working=True)
    assert deadline_rule(SETTINGS, "question", "debt") == Deadline(days=5, working=True)
    assert deadline_rule(SETTINGS, "thanks", "service") == Deadline(days=14, working=False)
    assert deadline_rule(SETTINGS, "claim", "bills") == Deadline(days=30, working=False)
    assert SETTINGS.voicemail_phone_deadline == Deadline(days=5)
    assert SETTINGS.voicemail_address_deadline == Deadline(days=20)


def test_transition_table() -> None:
    check_move(AppealStatus.REGISTERED, AppealStatus.HANDED_OVER)
    check_move(AppealStatus.ANSWERED, AppealStatus.REOPENED)
    check_move(AppealStatus.CLOSED, AppealStatus.REOPENED)
    with pytest.raises(AppealError, match="closed cannot become answered"):
        check_move(AppealStatus.CLOSED, AppealStatus.ANSWERED)
    with pytest.raises(AppealError):
        check_move(AppealStatus.REGISTERED, AppealStatus.CLOSED)
    with pytest.raises(AppealError):
        check_move(AppealStatus.REGISTERED, AppealStatus.REOPENED)
    assert set(TRANSITIONS) == set(AppealStatus)
    assert AppealStatus.REGISTERED not in {s for moves in TRANSITIONS.values() for s in moves}


def test_classifier() -> None:
    found = classify(SETTINGS, "complaint", "quality")
    assert (found.unit, found.urgency, found.trust) == ("network", "normal", False)
    trust = classify(SETTINGS, "complaint", "trust", "urgent")
    assert (trust.unit, trust.urgency, trust.trust) == ("security", "urgent", True)
    with pytest.raises(AppealError, match="unknown category"):
        classify(SETTINGS, "rant", "bills")
    with pytest.raises(AppealError, match="unknown topic"):
        classify(SETTINGS, "question", "weather")
    with pytest.raises(AppealError, match="unknown urgency"):
        classify(SETTINGS, "question", "bills", "yesterday")


def test_settings_refuse_a_deadline_for_no_category() -> None:
    with pytest.raises(ValueError, match="names no category"):
        AppealSettings(deadlines={"rant": Deadline(days=1)})


def test_reply_order() -> None:
    assert reply_order(SETTINGS, ReplyChannel.SMS, AppealChannel.IVR) == (
        ReplyChannel.SMS,
        ReplyChannel.PHONE,
        ReplyChannel.POST,
    )
    assert reply_order(SETTINGS, ReplyChannel.EMAIL, AppealChannel.EMAIL) == (
        ReplyChannel.EMAIL,
        ReplyChannel.POST,
    )


def test_mask() -> None:
    assert mask("+79001234567") == "••••••••••67"
    assert mask(None) is None
    assert mask("ab") == "••"
