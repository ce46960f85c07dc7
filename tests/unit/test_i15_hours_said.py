"""The operator hours callers hear outside them (R-012), composed from the schedule in force:
weekly hours, weekends, holidays of the production calendar and supervisors' overrides; and
when the callback is to be expected."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hotline.contact_center.hours import OperatorHours, Override
from hotline.settings import HoursSettings
from hotline.speech.hours_ru import Day, Period, callback_expected, clock_genitive
from hotline.speech.words_ru import FRAGMENTS
from ivr.hours_said import callback_phrase, hours_phrase

ZONE = ZoneInfo("Asia/Krasnoyarsk")
# 2026-03-13 is a Friday.
FRIDAY = date(2026, 3, 13)


class Calendar:
    """A production calendar with the given holidays and no moved working days."""

    def __init__(self, holidays: dict[date, str] | None = None) -> None:
        self.holidays = holidays or {}

    def get(self, key: date, default: Any = None) -> Any:
        return self.holidays.get(key, default)

    def is_weekend(self, key: date) -> bool:
        return key.weekday() >= 5

    def is_working_day(self, key: date) -> bool:
        return key.weekday() < 5 and key not in self.holidays


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


def hours(
    overrides: dict[date, Override] | None = None,
    holidays: dict[date, str] | None = None,
    **days: str,
) -> OperatorHours:
    settings = HoursSettings(timezone="Asia/Krasnoyarsk", **days)
    return OperatorHours(settings, overrides or {}, calendar=Calendar(holidays))


def said(operator_hours: OperatorHours, when: datetime) -> str:
    return hours_phrase(operator_hours, when).text


def test_after_closing_on_a_weekday_the_next_day_and_its_hours() -> None:
    # The default schedule: 08-20 on weekdays, 08-18 at weekends.
    assert said(hours(), at(FRIDAY, 21)) == (
        "сегодня, операторы работают с восьми до двадцати, следующий рабочий день, завтра, "
        "операторы работают с восьми до восемнадцати"
    )


def test_before_opening_only_todays_hours() -> None:
    assert said(hours(), at(FRIDAY, 6, 30)) == "сегодня, операторы работают с восьми до двадцати"


def test_a_closed_weekend_names_monday() -> None:
    closed_weekend = hours(saturday="", sunday="")
    assert said(closed_weekend, at(FRIDAY, 20, 5)) == (
        "сегодня, операторы работают с восьми до двадцати, следующий рабочий день, "
        "понедельник, операторы работают с восьми до двадцати"
    )
    saturday = date(2026, 3, 14)
    assert said(closed_weekend, at(saturday, 12)).startswith(
        "сегодня у операторов выходной, следующий рабочий день, понедельник"
    )


def test_a_holiday_uses_the_holiday_hours_and_is_skipped_when_closed() -> None:
    monday, tuesday = date(2026, 3, 16), date(2026, 3, 17)
    holiday = {monday: "Shagaa"}
    with_hours = hours(holidays=holiday, saturday="", sunday="", holiday_hours="10:00-15:00")
    assert said(with_hours, at(FRIDAY, 21)).endswith(
        "понедельник, операторы работают с десяти до пятнадцати"
    )
    closed = hours(holidays=holiday, saturday="", sunday="", holiday_hours="")
    assert said(closed, at(FRIDAY, 21)).endswith(
        "следующий рабочий день, вторник, операторы работают с восьми до двадцати"
    )
    assert callback_phrase(closed, at(FRIDAY, 21)) is not None
    assert callback_phrase(closed, at(FRIDAY, 21)).text == (  # type: ignore[union-attr]
        "оператор перезвонит вам, во вторник, после восьми"
    )
    assert tuesday.weekday() == 1


def test_an_override_for_today_with_minutes() -> None:
    shortened = hours({FRIDAY: Override("08:30-17:45", "pre-holiday")})
    assert said(shortened, at(FRIDAY, 18)) == (
        "сегодня, операторы работают с восьми тридцати до семнадцати сорока пяти, "
        "следующий рабочий день, завтра, операторы работают с восьми до восемнадцати"
    )
    day_off = hours({FRIDAY: Override("", "Republic Day")})
    assert said(day_off, at(FRIDAY, 10)).startswith("сегодня у операторов выходной")


def test_around_the_clock_and_midnight() -> None:
    always = hours(saturday="00:00-24:00")
    assert said(always, at(FRIDAY, 21)).endswith("завтра, операторы работают круглосуточно")
    assert callback_phrase(always, at(FRIDAY, 21)).text == (  # type: ignore[union-attr]
        "оператор перезвонит вам, завтра"
    )
    assert [FRAGMENTS[i] for i in clock_genitive(time.max)] == ["двадцати", "четырёх"]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (at(FRIDAY, 6), "оператор перезвонит вам, сегодня, после восьми"),
        (at(FRIDAY, 22), "оператор перезвонит вам, завтра, после восьми"),
    ],
)
def test_when_to_expect_the_callback(when: datetime, expected: str) -> None:
    found = callback_phrase(hours(), when)
    assert found is not None and found.text == expected


def test_no_callback_time_while_open_or_without_an_opening() -> None:
    assert callback_phrase(hours(), at(FRIDAY, 12)) is None
    never = {d: "" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")}
    assert callback_phrase(hours(saturday="", sunday="", **never), at(FRIDAY, 12)) is None


def test_every_fragment_is_in_the_inventory() -> None:
    phrase = callback_expected(Day(3, 0), time(8, 59))
    assert phrase.text == "оператор перезвонит вам, в понедельник, после восьми пятидесяти девяти"
    assert all(f in FRAGMENTS for f in phrase.fragments)
    assert Period(time(0, 0), time.max).around_the_clock
