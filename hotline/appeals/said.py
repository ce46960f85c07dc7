"""What a caller hears about their appeal (R-123): its number and its answer deadline, in
Russian, composed from the readout fragments like every personal value."""

from __future__ import annotations

from datetime import date

from hotline.speech import russian
from hotline.speech.russian import Phrase


def number_phrase(number: str) -> Phrase:
    """``2026-004217`` -> «две тысячи двадцать шесть, ноль ноль четыре, двести семнадцать»:
    the year as a number, then the year's sequence number in digit groups (a group starting
    with 0 digit by digit, so no zero is lost)."""
    year, sep, seq = number.partition("-")
    if not sep or not year.isdigit() or not seq.isdigit():
        raise ValueError(f"not an appeal number: {number!r}")
    return russian.join([russian.number(int(year)), russian.account(seq)])


def deadline_phrase(deadline: date, today: date) -> Phrase:
    """«пятнадцатого декабря» (after «до»); the year is said when it is not this year's."""
    return russian.date(deadline, with_year=deadline.year != today.year)
