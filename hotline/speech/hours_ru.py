"""The operator hours as callers hear them (R-012), composed from readout fragments like every
personal phrase: «сегодня, операторы работают с восьми до двадцати, следующий рабочий день,
понедельник, операторы работают с восьми до восемнадцати», and when a callback is to be
expected: «оператор перезвонит вам, в понедельник, после восьми».

Pure: the caller (``ivr``) works out the days from the schedule; here they become words.
A day is ``0`` today, ``1`` tomorrow, else the weekday (``date.weekday()``, Monday 0) of a
later day, passed as :class:`Day`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from hotline.speech.words_ru import MINUTE, Phrase, count_ids, phrase

END_OF_DAY: Final = dt.time.max  # a period closing at 24:00
NOON: Final = dt.time(12, 0)
# An agreed callback window as fragment groups (callback_window).
Window = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Day:
    """Which day: ``offset`` days from today (0 today, 1 tomorrow), its ``weekday``."""

    offset: int
    weekday: int


@dataclass(frozen=True)
class Period:
    """When operators work on a day (the first opening to the last closing)."""

    opens: dt.time
    closes: dt.time

    @property
    def around_the_clock(self) -> bool:
        return self.opens == dt.time(0, 0) and self.closes == END_OF_DAY


def _genitive(n: int) -> tuple[str, ...]:
    if not 0 <= n <= 59:
        raise ValueError(f"a clock number is 0..59, got {n}")
    if n < 20 or n % 10 == 0:
        return (f"gen.{n}",)
    return (f"gen.{n - n % 10}", f"gen.{n % 10}")


def clock_genitive(t: dt.time) -> tuple[str, ...]:
    """«восьми», «восьми тридцати», «двадцати четырёх» (24:00): after «с», «до», «после»."""
    if t == END_OF_DAY:
        return _genitive(24)
    return _genitive(t.hour) + (_genitive(t.minute) if t.minute else ())


def _period(period: Period) -> tuple[str, ...]:
    if period.around_the_clock:
        return ("hours.around_the_clock",)
    return (
        "hours.work_from",
        *clock_genitive(period.opens),
        "hours.until",
        *clock_genitive(period.closes),
    )


def _day_name(day: Day) -> tuple[str, ...]:
    if day.offset == 1:
        return ("hours.tomorrow",)
    return (f"weekday.{day.weekday}",)


def operator_hours(today: Period | None, following: tuple[Day, Period] | None) -> Phrase:
    """Today's hours (or «сегодня у операторов выходной»), then the next working day after
    today and its hours when there is one (``following``, offset ≥ 1)."""
    groups: list[tuple[str, ...]] = []
    if today is None:
        groups.append(("hours.day_off",))
    else:
        groups += [("hours.today",), _period(today)]
    if following is not None:
        day, period = following
        if day.offset < 1:
            raise ValueError("the next working day is after today")
        groups += [("hours.next_day",), _day_name(day), _period(period)]
    return phrase(*groups)


def callback_expected(day: Day, after: dt.time) -> Phrase:
    """«оператор перезвонит вам, сегодня|завтра|в понедельник, после восьми» (no «после» for
    an opening at midnight)."""
    if day.offset == 0:
        when: tuple[str, ...] = ("hours.today",)
    elif day.offset == 1:
        when = ("hours.tomorrow",)
    else:
        when = (f"weekday_on.{day.weekday}",)
    after_ids = ("hours.after", *clock_genitive(after)) if after != dt.time(0, 0) else ()
    return phrase(("hours.callback",), when, after_ids)


def _when(day: Day) -> tuple[str, ...]:
    if day.offset == 0:
        return ("hours.today",)
    if day.offset == 1:
        return ("hours.tomorrow",)
    return (f"weekday_on.{day.weekday}",)


def callback_window(day: Day, said: str, at: dt.time | None, *, slot_minutes: int = 60) -> Window:
    """The fragment groups of an agreed window (R-109): «в течение часа» (``said`` "soon"; «в
    ближайшие тридцать минут» for another length), «завтра до полудня», «в понедельник после
    четырнадцати» ("until"/"after" with the local time ``at``)."""
    if said == "soon":
        if slot_minutes == 60:
            return (("hours.within_hour",),)
        return (("hours.within_next", *count_ids(slot_minutes, MINUTE)),)
    if at is None:
        raise ValueError(f"a window said {said!r} needs its time")
    if said == "until":
        words = ("hours.until_noon",) if at == NOON else ("hours.until", *clock_genitive(at))
    elif said == "after":
        words = ("hours.after_noon",) if at == NOON else ("hours.after", *clock_genitive(at))
    else:
        raise ValueError(f"unknown window {said!r}")
    return ((*_when(day), *words),)


def callback_agreed(window: Window) -> Phrase:
    """«оператор перезвонит вам, завтра до полудня»: the read-back once the request is stored."""
    return phrase(("hours.callback",), *window)


def window_choice(windows: list[Window]) -> Phrase:
    """«в течение часа, один, завтра до полудня, два, …»: each window and its key (1..n),
    as the catalogue's menus name an option before its key."""
    groups: list[tuple[str, ...]] = []
    for key, window in enumerate(windows, start=1):
        groups += [*window, (f"num.{key}",)]
    return phrase(*groups)
