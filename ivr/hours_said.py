"""What a caller outside operator hours hears about them (R-012): the hours in force today and
the next working day with its hours, and when to expect a callback, worked out from the
schedule with its overrides and the production calendar (:class:`OperatorHours`) and said
with the readout fragments (:mod:`hotline.speech.hours_ru`); the callback windows offered to
a caller (R-109, :mod:`hotline.contact_center.slots`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hotline.contact_center.hours import NEXT_OPENING_HORIZON, DayHours, OperatorHours
from hotline.contact_center.slots import Slot, offered_slots
from hotline.settings import Settings
from hotline.speech.hours_ru import (
    Day,
    Period,
    Window,
    callback_expected,
    callback_window,
    operator_hours,
)
from hotline.speech.words_ru import Phrase


def _period(hours: DayHours) -> Period | None:
    if hours.opens is None or hours.closes is None:
        return None
    return Period(hours.opens, hours.closes)


def hours_phrase(hours: OperatorHours, now: datetime) -> Phrase:
    """«сегодня, операторы работают с восьми до двадцати, следующий рабочий день, понедельник,
    операторы работают с восьми до восемнадцати»: today's hours (or the day off) and, unless
    today's operators are still to start, the next day with hours."""
    local = hours.local(now)
    today = local.date()
    today_hours = hours.hours_on(today)
    period = _period(today_hours)
    if period is not None and local.time() < period.opens:
        return operator_hours(period, None)
    following: tuple[Day, Period] | None = None
    for offset in range(1, NEXT_OPENING_HORIZON.days + 1):
        day = today + timedelta(days=offset)
        found = _period(hours.hours_on(day))
        if found is not None:
            following = (Day(offset, day.weekday()), found)
            break
    return operator_hours(period, following)


def callback_phrase(hours: OperatorHours, now: datetime) -> Phrase | None:
    """«оператор перезвонит вам, завтра, после восьми»: from the next opening; None while the
    operators work or when no opening is scheduled within the horizon."""
    if hours.is_open(now):
        return None
    opening = hours.next_opening(now)
    if opening is None:
        return None
    offset = (opening.date() - hours.local(now).date()).days
    return callback_expected(Day(offset, opening.weekday()), opening.time())


def window_said(hours: OperatorHours, slot: Slot, now: datetime, slot_minutes: int) -> Window:
    """An agreed window as the caller hears it: «в течение часа», «завтра до полудня»."""
    offset = (slot.start.date() - hours.local(now).date()).days
    return callback_window(
        Day(offset, slot.start.weekday()), slot.said.value, slot.at, slot_minutes=slot_minutes
    )


@dataclass(frozen=True)
class SlotOffer:
    """The windows a caller may choose from, as they are said, and the menu standard's limit
    on seconds of speech for the question (R-018)."""

    slots: tuple[Slot, ...]
    windows: tuple[Window, ...]
    max_seconds: float


def slot_offer(hours: OperatorHours, now: datetime, settings: Settings) -> SlotOffer:
    """The windows the IVR offers now (R-109): ``callbacks.*`` settings, never more options
    than the menu standard allows (``ivr.max_options``)."""
    cb = settings.callbacks
    slots = offered_slots(
        hours,
        now,
        slot_minutes=cb.slot_minutes,
        days_ahead=cb.days_ahead,
        limit=min(cb.options, settings.ivr.max_options),
    )
    windows = tuple(window_said(hours, s, now, cb.slot_minutes) for s in slots)
    return SlotOffer(tuple(slots), windows, settings.ivr.max_level_speech_seconds)
