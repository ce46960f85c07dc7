"""Agreed callback windows (issue 16 item 3, R-109/R-110): computed from the operator hours
(weekly schedule, weekends, the Russian production calendar, lunch breaks, the end of the
day), never outside them, never in the past, said the way the IVR offers them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hotline.contact_center.hours import OperatorHours
from hotline.contact_center.slots import Said, SlotError, check_window, offered_slots
from hotline.settings import HoursSettings, Settings
from hotline.speech.hours_ru import callback_agreed, window_choice
from hotline.speech.words_ru import FRAGMENTS
from ivr.hours_said import slot_offer, window_said

ZONE = ZoneInfo("Asia/Krasnoyarsk")
WEEKDAYS = {d: "08:00-20:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")}


def hours(**days: str) -> OperatorHours:
    week = {**WEEKDAYS, "saturday": "", "sunday": "", "holiday_hours": "", **days}
    return OperatorHours(HoursSettings(timezone="Asia/Krasnoyarsk", **week))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE)


def said(schedule: OperatorHours, now: datetime, **settings: object) -> str:
    cb = Settings.model_validate({"callbacks": settings}) if settings else Settings()
    offer = slot_offer(schedule, now, cb)
    return window_choice(list(offer.windows)).text


# 2026-03-11 is a Wednesday.
WEDNESDAY = date(2026, 3, 11)


def test_while_open_the_hour_the_rest_of_today_and_tomorrow_split_at_noon() -> None:
    now = at(WEDNESDAY, 13, 40)
    slots = offered_slots(hours(), now, slot_minutes=60, days_ahead=7, limit=4)
    assert [(s.start, s.end, s.said) for s in slots] == [
        (now, at(WEDNESDAY, 14, 40), Said.SOON),
        (at(WEDNESDAY, 15), at(WEDNESDAY, 20), Said.AFTER),
        (at(WEDNESDAY + timedelta(1), 8), at(WEDNESDAY + timedelta(1), 12), Said.UNTIL),
        (at(WEDNESDAY + timedelta(1), 12), at(WEDNESDAY + timedelta(1), 20), Said.AFTER),
    ]
    assert said(hours(), now) == (
        "в течение часа, один, сегодня после пятнадцати, два, "
        "завтра до полудня, три, завтра после полудня, четыре"
    )


def test_before_opening_today_is_split_at_noon_too() -> None:
    assert said(hours(), at(WEDNESDAY, 6, 15)) == (
        "сегодня до полудня, один, сегодня после полудня, два, "
        "завтра до полудня, три, завтра после полудня, четыре"
    )


def test_at_the_end_of_the_day_the_next_working_day_after_the_may_holidays() -> None:
    # Friday 2026-05-08, half an hour before closing: too little for a window today; Saturday
    # and Sunday are closed, Monday 11 May is Victory Day observed (the production calendar).
    friday = date(2026, 5, 8)
    slots = offered_slots(hours(), at(friday, 19, 30), slot_minutes=60, days_ahead=7, limit=4)
    tuesday, wednesday = date(2026, 5, 12), date(2026, 5, 13)
    assert [(s.start, s.end) for s in slots] == [
        (at(tuesday, 8), at(tuesday, 12)),
        (at(tuesday, 12), at(tuesday, 20)),
        (at(wednesday, 8), at(wednesday, 12)),
        (at(wednesday, 12), at(wednesday, 20)),
    ]
    assert said(hours(), at(friday, 19, 30)) == (
        "во вторник до полудня, один, во вторник после полудня, два, "
        "в среду до полудня, три, в среду после полудня, четыре"
    )


def test_the_new_year_holidays_leave_nothing_within_the_horizon() -> None:
    # 30 December 2026 after closing: the next working day is 11 January 2027.
    evening = at(date(2026, 12, 30), 21)
    assert offered_slots(hours(), evening, slot_minutes=60, days_ahead=7, limit=4) == []
    later = offered_slots(hours(), evening, slot_minutes=60, days_ahead=14, limit=1)
    assert [s.start for s in later] == [at(date(2027, 1, 11), 8)]


def test_a_lunch_break_and_a_day_opening_after_noon() -> None:
    schedule = hours(wednesday="09:00-13:00,14:00-18:00", thursday="13:00-17:00")
    # 12:30: half an hour before the break, so no «в течение часа»; the rest of today starts
    # after the break, tomorrow opens after noon.
    assert said(schedule, at(WEDNESDAY, 12, 30)) == (
        "сегодня после четырнадцати, один, завтра после тринадцати, два, "
        "в пятницу до полудня, три, в пятницу после полудня, четыре"
    )
    # A morning cut short by the break ends at the break.
    short = hours(thursday="09:00-11:30,13:00-17:00")
    slots = offered_slots(short, at(WEDNESDAY, 21), slot_minutes=60, days_ahead=7, limit=1)
    assert [(s.start, s.end, s.at) for s in slots] == [
        (at(WEDNESDAY + timedelta(1), 9), at(WEDNESDAY + timedelta(1), 11, 30), time(11, 30))
    ]
    assert window_choice([window_said(short, slots[0], at(WEDNESDAY, 21), 60)]).text == (
        "завтра до одиннадцати тридцати, один"
    )


def test_the_slot_length_and_the_number_of_options_are_settings() -> None:
    assert said(hours(), at(WEDNESDAY, 19, 10), slot_minutes=30, options=2) == (
        "в ближайшие тридцать минут, один, завтра до полудня, два"
    )


def test_the_read_back_names_the_window() -> None:
    schedule, now = hours(), at(WEDNESDAY, 13, 40)
    offer = slot_offer(schedule, now, Settings())
    assert (
        callback_agreed(offer.windows[1]).text
        == "оператор перезвонит вам, сегодня после пятнадцати"
    )
    assert all(f in FRAGMENTS for w in offer.windows for g in w for f in g)


@pytest.mark.parametrize(
    "schedule",
    [
        hours(),
        hours(wednesday="09:00-13:00,14:00-18:00", saturday="10:00-14:00"),
        hours(**dict.fromkeys(WEEKDAYS, "00:00-24:00")),
    ],
)
def test_no_window_outside_operator_hours_or_in_the_past(schedule: OperatorHours) -> None:
    # Every 55 minutes (every minute of the hour in turn) across the New Year holidays and
    # an ordinary week.
    for first in (date(2026, 12, 28), WEDNESDAY):
        now = at(first, 0)
        for _step in range(24 * 9 * 60 // 55):
            for slot in offered_slots(schedule, now, slot_minutes=60, days_ahead=7, limit=4):
                assert now <= slot.start < slot.end
                assert slot.start <= now + timedelta(days=7)
                assert schedule.is_open(slot.start)
                assert schedule.is_open(slot.end - timedelta(seconds=1))
            now += timedelta(minutes=55)


def test_an_operator_sets_a_window_inside_hours_only() -> None:
    schedule, now = hours(), at(WEDNESDAY, 13, 40)
    kwargs = {"slot_minutes": 60, "days_ahead": 7}
    start, end = check_window(schedule, now, at(WEDNESDAY, 19, 30), **kwargs)  # type: ignore[arg-type]
    assert (start, end) == (at(WEDNESDAY, 19, 30), at(WEDNESDAY, 20))  # cut at the closing
    with pytest.raises(SlotError, match="прошло"):
        check_window(schedule, now, at(WEDNESDAY, 9), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(SlotError, match="не работают"):
        check_window(schedule, now, at(WEDNESDAY, 21), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(SlotError, match="не работают"):
        check_window(schedule, now, at(date(2026, 3, 14), 10), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(SlotError, match="7"):
        check_window(schedule, now, at(WEDNESDAY + timedelta(8), 10), **kwargs)  # type: ignore[arg-type]


def test_round_the_clock_hours_still_offer_the_hour_before_midnight() -> None:
    # 00:00-24:00 every day is one stretch of work: at 23:30 the operators have the hour (a
    # clean-clone run between 23:00 and 24:00 local got no «в течение часа» and no callback
    # in the queue's overflow test).
    always = {day: "00:00-24:00" for day in ("saturday", "sunday", "holiday_hours")}
    schedule = hours(**{day: "00:00-24:00" for day in WEEKDAYS}, **always)
    now = at(WEDNESDAY, 23, 30)
    (first, *_rest) = offered_slots(schedule, now, slot_minutes=60, days_ahead=7, limit=4)
    assert (first.start, first.end, first.said) == (now, now + timedelta(hours=1), Said.SOON)
    assert check_window(schedule, now, now, slot_minutes=60, days_ahead=7) == (
        now,
        now + timedelta(hours=1),
    )


def test_an_evening_closing_still_ends_the_hour() -> None:
    now = at(WEDNESDAY, 19, 30)
    slots = offered_slots(hours(), now, slot_minutes=60, days_ahead=7, limit=4)
    assert Said.SOON not in [s.said for s in slots]
    assert check_window(hours(), now, now, slot_minutes=60, days_ahead=7)[1] == at(WEDNESDAY, 20)
