"""Operator hours: weekly schedule, the Russian production calendar, overrides, instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hotline.contact_center.hours import (
    DayHours,
    HoursError,
    Opening,
    OperatorHours,
    Override,
    format_hours,
    parse_hours,
    russian_calendar,
)
from hotline.settings import HoursSettings

KRS = ZoneInfo("Asia/Krasnoyarsk")  # UTC+7 all year
DEFAULT = OperatorHours(HoursSettings())


def at(text: str, zone: ZoneInfo = KRS) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def hours(**changes: str) -> OperatorHours:
    return OperatorHours(HoursSettings(**changes))


# --- days -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "shown", "source"),
    [
        (date(2026, 1, 12), "08:00-20:00", "weekly:monday"),
        (date(2026, 1, 16), "08:00-20:00", "weekly:friday"),
        (date(2026, 1, 17), "08:00-18:00", "weekly:saturday"),
        (date(2026, 1, 18), "08:00-18:00", "weekly:sunday"),
    ],
)
def test_weekly_schedule(day: date, shown: str, source: str) -> None:
    found = DEFAULT.hours_on(day)
    assert (str(found), found.source) == (shown, source)


def test_weekly_schedule_from_settings() -> None:
    custom = hours(tuesday="09:00-13:00,14:00-17:00", wednesday="")
    tuesday = custom.hours_on(date(2026, 1, 13))
    assert (tuesday.opens, tuesday.closes) == (time(9), time(17))
    assert tuesday.openings == (Opening(time(9), time(13)), Opening(time(14), time(17)))
    assert str(tuesday) == "09:00-13:00,14:00-17:00"
    wednesday = custom.hours_on(date(2026, 1, 14))
    assert wednesday.closed and wednesday.opens is None and wednesday.closes is None
    assert (str(wednesday), wednesday.source) == ("closed", "weekly:wednesday")


def test_new_year_holidays_2026_use_holiday_hours() -> None:
    custom = hours(holiday_hours="10:00-16:00")
    for offset in range(9):  # 1..8 January, then the day off moved from Saturday 3 January
        day = date(2026, 1, 1) + timedelta(days=offset)
        found = custom.hours_on(day)
        assert str(found) == "10:00-16:00", day
        assert found.source.startswith("holiday:"), day
    assert custom.hours_on(date(2026, 1, 7)).source == "holiday:Christmas Day"
    assert custom.hours_on(date(2026, 1, 9)).source.startswith("holiday:Day off (substituted")
    assert custom.hours_on(date(2026, 1, 12)).source == "weekly:monday"


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 5, 11),  # Victory Day (Saturday 9 May) observed on Monday
        date(2026, 3, 9),  # Women's Day (Sunday 8 March) observed on Monday
        date(2025, 11, 3),  # day off moved from the working Saturday 2025-11-01
        date(2026, 12, 31),  # day off moved from Sunday 2026-01-04
        date(2026, 6, 12),  # Russia Day, a Friday
    ],
)
def test_days_off_by_decree_on_weekdays(day: date) -> None:
    assert day.weekday() < 5
    found = hours(holiday_hours="").hours_on(day)
    assert found.closed and found.source.startswith("holiday:")


def test_holiday_on_a_weekend_uses_holiday_hours() -> None:
    found = hours(holiday_hours="", sunday="08:00-18:00").hours_on(date(2025, 2, 23))
    assert found.closed and found.source == "holiday:Defender of the Fatherland Day"


def test_working_saturday_uses_mondays_hours() -> None:
    # Saturday 1 November 2025 was worked instead of Monday 3 November (decree); the holidays
    # package lists it in weekend_workdays.
    assert russian_calendar().is_working_day(date(2025, 11, 1))
    custom = hours(monday="09:00-19:00", saturday="")
    found = custom.hours_on(date(2025, 11, 1))
    assert (str(found), found.source) == ("09:00-19:00", "working-day")
    assert custom.hours_on(date(2025, 11, 8)).closed  # an ordinary Saturday


def test_overrides_beat_everything() -> None:
    overrides = {
        date(2026, 2, 18): Override("", "Shagaa (Tuva)"),  # a Wednesday
        date(2026, 1, 9): Override("09:00-12:00", "duty team"),  # a moved day off
        date(2025, 11, 1): Override("", "not worked here"),  # a working Saturday
        date(2026, 1, 17): Override("10:00-13:00,14:00-16:00"),  # a Saturday
    }
    custom = OperatorHours(HoursSettings(), overrides)
    shagaa = custom.hours_on(date(2026, 2, 18))
    assert shagaa.closed and shagaa.source == "override:Shagaa (Tuva)"
    duty = custom.hours_on(date(2026, 1, 9))
    assert (str(duty), duty.source) == ("09:00-12:00", "override:duty team")
    assert custom.hours_on(date(2025, 11, 1)).closed
    split = custom.hours_on(date(2026, 1, 17))
    assert (str(split), split.source) == ("10:00-13:00,14:00-16:00", "override:")
    assert custom.hours_on(date(2026, 2, 19)).source == "weekly:thursday"
    assert not custom.is_open(at("2026-02-18T12:00"))
    assert custom.is_open(at("2026-01-17T12:59")) and not custom.is_open(at("2026-01-17T13:00"))
    assert custom.is_open(at("2026-01-17T14:00"))


def test_days_lists_consecutive_days() -> None:
    listed = list(DEFAULT.days(date(2025, 10, 31), 4))
    assert [d for d, _ in listed] == [date(2025, 10, 31) + timedelta(days=i) for i in range(4)]
    assert [h.source for _, h in listed][1] == "working-day"


def test_day_hours_of_the_documented_shape() -> None:
    made = DayHours(time(8), time(20), "weekly:monday")
    assert made.openings == (Opening(time(8), time(20)),) and not made.closed
    assert DayHours(None, None, "holiday:x").closed
    with pytest.raises(ValueError, match="both"):
        DayHours(time(8), None, "x")


# --- instants ---------------------------------------------------------------------------------
def test_opens_inclusive_closes_exclusive() -> None:
    assert not DEFAULT.is_open(at("2026-01-12T07:59:59.999999"))
    assert DEFAULT.is_open(at("2026-01-12T08:00"))
    assert DEFAULT.is_open(at("2026-01-12T19:59:59.999999"))
    assert not DEFAULT.is_open(at("2026-01-12T20:00"))
    assert DEFAULT.is_open(at("2026-01-17T17:59"))  # Saturday
    assert not DEFAULT.is_open(at("2026-01-17T18:00"))


def test_lunch_break() -> None:
    custom = hours(monday="09:00-13:00,14:00-17:00")
    assert custom.is_open(at("2026-01-12T12:59"))
    assert not custom.is_open(at("2026-01-12T13:00"))
    assert not custom.is_open(at("2026-01-12T13:59"))
    assert custom.is_open(at("2026-01-12T14:00"))
    assert custom.closing_today(at("2026-01-12T10:00")) == at("2026-01-12T13:00")
    assert custom.closing_today(at("2026-01-12T15:00")) == at("2026-01-12T17:00")
    assert custom.next_opening(at("2026-01-12T13:30")) == at("2026-01-12T14:00")


def test_time_zone_conversion_from_utc() -> None:
    # 08:00 in Krasnoyarsk is 01:00 UTC.
    assert not DEFAULT.is_open(datetime(2026, 1, 12, 0, 59, 59, tzinfo=UTC))
    assert DEFAULT.is_open(datetime(2026, 1, 12, 1, 0, tzinfo=UTC))
    # 23:30 UTC on Sunday is 06:30 on Monday in Krasnoyarsk: closed, opening at 08:00 local.
    sunday_night = datetime(2026, 1, 11, 23, 30, tzinfo=UTC)
    assert DEFAULT.local(sunday_night).date() == date(2026, 1, 12)
    opens = DEFAULT.next_opening(sunday_night)
    assert opens == datetime(2026, 1, 12, 1, 0, tzinfo=UTC)
    assert opens is not None and opens.tzinfo == KRS and opens.hour == 8
    # 12:59 UTC on Monday is 19:59 local: open until 20:00 local = 13:00 UTC.
    closes = DEFAULT.closing_today(datetime(2026, 1, 12, 12, 59, tzinfo=UTC))
    assert closes == datetime(2026, 1, 12, 13, 0, tzinfo=UTC)
    moscow = datetime(2026, 1, 12, 4, 0, tzinfo=ZoneInfo("Europe/Moscow"))  # 08:00 in KRS
    assert DEFAULT.is_open(moscow) and DEFAULT.next_opening(moscow) == moscow


def test_closing_today() -> None:
    assert DEFAULT.closing_today(at("2026-01-12T08:00")) == at("2026-01-12T20:00")
    assert DEFAULT.closing_today(at("2026-01-12T20:00")) is None
    assert DEFAULT.closing_today(at("2026-01-12T07:00")) is None
    assert DEFAULT.closing_today(at("2026-01-03T09:00")) == at("2026-01-03T18:00")  # holiday


def test_next_opening() -> None:
    assert DEFAULT.next_opening(at("2026-01-12T07:00")) == at("2026-01-12T08:00")
    assert DEFAULT.next_opening(at("2026-01-12T08:00")) == at("2026-01-12T08:00")
    # While open: the next opening's start.
    assert DEFAULT.next_opening(at("2026-01-12T08:01")) == at("2026-01-13T08:00")
    assert DEFAULT.next_opening(at("2026-01-12T21:00")) == at("2026-01-13T08:00")


def test_next_opening_across_the_new_year_holidays() -> None:
    closed = hours(holiday_hours="", saturday="", sunday="")
    # Operators leave on Wednesday 2025-12-31 (a moved day off) and return on Monday 12th.
    assert closed.hours_on(date(2025, 12, 31)).closed
    assert closed.next_opening(at("2025-12-30T20:00")) == at("2026-01-12T08:00")
    assert not closed.is_open(at("2026-01-09T10:00"))
    # With weekend hours, Saturday 10th (after the holidays) opens first.
    assert hours(holiday_hours="").next_opening(at("2025-12-30T20:00")) == at("2026-01-10T08:00")


def test_next_opening_looks_31_days_ahead() -> None:
    start = at("2026-03-02T09:00")  # a Monday

    def shut_for(days: int) -> OperatorHours:
        shut = {start.date() + timedelta(days=i): Override("", "flood") for i in range(days)}
        return OperatorHours(HoursSettings(), shut)

    # Shut 31 days: reopens 2026-04-02 08:00, 30 days 23 hours on.
    assert shut_for(31).next_opening(start) == at("2026-04-02T08:00")
    # Shut 32 days: 2026-04-03 08:00 is 31 days 23 hours on, beyond the horizon.
    assert shut_for(32).next_opening(start) is None
    never = hours(**{d: "" for d in _WEEK}, holiday_hours="")
    assert never.next_opening(start) is None
    assert not never.is_open(start) and never.closing_today(start) is None


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 1, 12, 9, 0)
    for method in (DEFAULT.is_open, DEFAULT.next_opening, DEFAULT.closing_today):
        with pytest.raises(ValueError, match="naive"):
            method(naive)


def test_dst_changes_are_followed() -> None:
    # Russia has no DST; the code must not assume that.  Berlin: 29 March 2026 02:00 → 03:00,
    # 25 October 2026 03:00 → 02:00 (both Sundays).
    berlin = ZoneInfo("Europe/Berlin")
    custom = hours(timezone="Europe/Berlin", sunday="02:30-04:00", saturday="08:00-18:00")
    # 02:30 does not exist on 29 March: shifted by the gap to 03:30 CEST (01:30 UTC).
    assert not custom.is_open(datetime(2026, 3, 29, 1, 29, tzinfo=UTC))
    assert custom.is_open(datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    assert not custom.is_open(datetime(2026, 3, 29, 2, 0, tzinfo=UTC))  # 04:00 CEST
    # 08:00 is 07:00 UTC in winter and 06:00 UTC in summer.
    assert custom.next_opening(datetime(2026, 3, 28, 0, 0, tzinfo=UTC)) == datetime(
        2026, 3, 28, 7, 0, tzinfo=UTC
    )
    summer = custom.next_opening(datetime(2026, 4, 3, 23, 0, tzinfo=UTC))
    assert summer == datetime(2026, 4, 4, 6, 0, tzinfo=UTC)
    assert summer is not None and summer.tzinfo == berlin
    # 25 October: 02:30 happens twice; the opening closes at the first (00:30 UTC).
    autumn = hours(timezone="Europe/Berlin", sunday="01:00-02:30")
    assert autumn.is_open(datetime(2026, 10, 24, 23, 0, tzinfo=UTC))  # 01:00 CEST
    assert autumn.is_open(datetime(2026, 10, 25, 0, 29, tzinfo=UTC))
    assert not autumn.is_open(datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    assert not autumn.is_open(datetime(2026, 10, 25, 1, 15, tzinfo=UTC))  # 02:15 CET


# --- parsing ----------------------------------------------------------------------------------
_WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("8-20", "expected"),
        ("08:00", "expected"),
        ("08:00-20:00;", "expected"),
        ("08.00-20.00", "expected"),
        ("closed", "expected"),
        ("25:00-26:00", "no such time"),
        ("08:60-20:00", "no such time"),
        ("24:00-24:00", "no such time"),
        ("08:00-24:01", "no such time"),
        ("20:00-08:00", "closes before it opens"),
        ("08:00-08:00", "closes before it opens"),
        ("09:00-13:00,12:00-17:00", "not overlap"),
        ("14:00-17:00,09:00-13:00", "not overlap"),
        ("09:00-13:00,", "expected"),
    ],
)
def test_bad_settings_name_the_day(value: str, problem: str) -> None:
    for day in ("monday", "saturday", "holiday_hours"):
        with pytest.raises(HoursError, match=f"hours.{day}: bad hours .*{problem}"):
            hours(**{day: value})


def test_bad_time_zone() -> None:
    # Issue 24: the settings refuse an unknown zone as they load (`hotline config check`) ...
    with pytest.raises(ValidationError, match=r"timezone"):
        hours(timezone="Asia/Kyzyl")
    # ... and the hours still name the setting when given settings built without checks.
    with pytest.raises(HoursError, match=r"hours\.timezone"):
        OperatorHours(HoursSettings.model_construct(timezone="Asia/Kyzyl"))


def test_bad_override_is_an_error() -> None:
    with pytest.raises(HoursError, match="override: bad hours"):
        Override("9-18", "typo")


def test_parse_and_format() -> None:
    assert parse_hours("") == parse_hours("  ") == ()
    assert parse_hours(" 08:00-20:00 ") == (Opening(time(8), time(20)),)
    both = parse_hours("09:00-13:00, 14:00-17:00")
    assert format_hours(both) == "09:00-13:00,14:00-17:00"
    assert parse_hours("00:00-23:59") == (Opening(time(0), time(23, 59)),)
    assert format_hours(()) == ""


# --- properties -------------------------------------------------------------------------------
_INSTANTS = st.datetimes(
    min_value=datetime(2024, 12, 1), max_value=datetime(2027, 1, 31), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(_INSTANTS)
def test_instants_agree(moment: datetime) -> None:
    lunch = OperatorHours(HoursSettings(friday="09:00-13:00,14:00-17:00", holiday_hours=""))
    for schedule in (DEFAULT, lunch):
        closes = schedule.closing_today(moment)
        assert schedule.is_open(moment) == (closes is not None)
        if closes is not None:
            assert closes > moment
            assert not schedule.is_open(closes)
            assert schedule.is_open(closes - timedelta(microseconds=1))
        opens = schedule.next_opening(moment)
        assert opens is not None and opens >= moment
        assert schedule.is_open(opens)
        assert not schedule.is_open(opens - timedelta(microseconds=1)) or opens == moment


def test_a_day_can_stay_open_until_midnight() -> None:
    open_all_day = hours(monday="00:00-24:00")
    monday = date(2026, 11, 23)
    zone = ZoneInfo("Asia/Krasnoyarsk")
    assert open_all_day.is_open(datetime.combine(monday, time(0, 0), zone))
    assert open_all_day.is_open(datetime.combine(monday, time(23, 59, 59), zone))
    assert str(open_all_day.hours_on(monday).openings[0]) == "00:00-24:00"
