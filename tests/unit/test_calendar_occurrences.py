"""When a monthly campaign is built (issue 22 item 5): its day in short months, on days off
and public holidays of the Russian production calendar, under both day-off rules; and when
on that day the build is due (the calling window's opening)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from dialer.model import CampaignRules
from dialer.schedule import (
    DayOffRule,
    ScheduleError,
    campaign_name,
    check_day,
    check_schedule_name,
    due_at,
    nominal_day,
    occurrence,
    occurrences,
)
from dialer.window import CallingWindow
from hotline.contact_center.hours import russian_calendar

CAL = russian_calendar()
MOVE, KEEP = DayOffRule.NEXT_WORKING_DAY, DayOffRule.KEEP
ZONE = ZoneInfo("Asia/Krasnoyarsk")


def test_day_31_is_the_last_day_of_short_months() -> None:
    assert nominal_day(31, 2026, 4) == date(2026, 4, 30)
    assert nominal_day(31, 2026, 2) == date(2026, 2, 28)
    assert nominal_day(30, 2028, 2) == date(2028, 2, 29)  # a leap year
    assert nominal_day(31, 2026, 12) == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("day", "month", "moved", "kept"),
    [
        (20, 12, date(2026, 12, 21), date(2026, 12, 20)),  # Sunday -> Monday
        (20, 11, date(2026, 11, 20), date(2026, 11, 20)),  # a Friday: working day
        (1, 5, date(2026, 5, 4), date(2026, 5, 1)),  # Labour Day, then the weekend
        (9, 5, date(2026, 5, 12), date(2026, 5, 9)),  # Victory Day, observed on Monday
        (1, 1, date(2026, 1, 12), date(2026, 1, 1)),  # the New Year holidays
        (31, 1, date(2026, 2, 2), date(2026, 1, 31)),  # Saturday 31 Jan -> next month
        (23, 2, date(2026, 2, 24), date(2026, 2, 23)),  # Defender of the Fatherland Day
    ],
)
def test_a_day_off_moves_to_the_next_working_day_or_stays(
    day: int, month: int, moved: date, kept: date
) -> None:
    assert occurrence(day, 2026, month, MOVE, CAL) == moved
    assert occurrence(day, 2026, month, KEEP, CAL) == kept


def test_occurrences_in_a_range_keep_their_month_even_when_moved() -> None:
    found = occurrences(31, MOVE, CAL, date(2026, 1, 1), date(2026, 5, 31))
    assert found == [
        # 31 December 2025 was a day off, then the New Year holidays: 12 January.
        ("2025-12", date(2026, 1, 12)),
        ("2026-01", date(2026, 2, 2)),
        ("2026-02", date(2026, 3, 2)),  # 28 Feb is a Saturday
        ("2026-03", date(2026, 3, 31)),
        ("2026-04", date(2026, 4, 30)),
    ]
    assert occurrences(31, MOVE, CAL, date(2026, 1, 1), date(2026, 1, 10)) == []
    assert occurrences(28, MOVE, CAL, date(2026, 3, 1), date(2026, 3, 2)) == [
        ("2026-02", date(2026, 3, 2))
    ]


def test_the_build_is_due_when_the_calling_window_opens() -> None:
    window = CallingWindow(CampaignRules(), "Asia/Krasnoyarsk")
    assert due_at(date(2026, 12, 21), window, ZONE) == datetime(2026, 12, 21, 10, tzinfo=ZONE)
    # Kept on a Sunday: due at midnight; the dialer waits for Monday's window.
    assert due_at(date(2026, 12, 20), window, ZONE) == datetime(2026, 12, 20, 0, tzinfo=ZONE)


def test_names_and_days_are_checked() -> None:
    assert campaign_name("debt-reminder", "2026-12") == "debt-reminder-2026-12"
    assert check_schedule_name("debt-20") == "debt-20"
    for bad in ("Debt", "debt reminder", "-x", "a" * 56):
        with pytest.raises(ScheduleError, match="bad schedule name"):
            check_schedule_name(bad)
    for day in (0, 32):
        with pytest.raises(ScheduleError, match="from 1 to 31"):
            check_day(day)
