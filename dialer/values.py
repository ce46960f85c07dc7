"""A campaign's personal values: what they may be (``SayKind``), how a contact list's cell is
checked and stored, and how a stored value reads in an e-mail or an SMS and is said on a call.
Pure: no I/O."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Final

from hotline.speech import russian
from hotline.speech.russian import Phrase


class SayKind(StrEnum):
    MONEY = "money"
    DATE = "date"
    TIME = "time"
    PHONE = "phone"
    NUMBER = "number"
    TEXT = "text"  # synthesised whole (an address)


class VariableError(ValueError):
    pass


_DATE_FORMATS: Final = ("%Y-%m-%d", "%d.%m.%Y")
# The common ISO spelling, read without strptime (ten times its cost); anything else, and a
# date this does not make, goes through the formats above as before.
_ISO_DATE: Final = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_PHONE_SEPARATORS: Final = re.compile(r"[\s()+-]")
_KOPECK: Final = Decimal("0.01")


def _text(kind: SayKind, raw: Any) -> str:
    if type(raw) is str:  # nearly every cell: the checks below only for sheet values
        text = raw.strip()
    else:
        text = "" if raw is None else str(raw).strip()
        if isinstance(raw, dt.datetime):
            text = raw.date().isoformat() if kind is SayKind.DATE else raw.time().strftime("%H:%M")
        elif isinstance(raw, dt.date):
            text = raw.isoformat()
        elif isinstance(raw, dt.time):
            text = raw.strftime("%H:%M")
    if not text:
        raise VariableError("empty")
    return text


def _money(text: str) -> str:
    try:
        amount = Decimal(text.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation as exc:
        raise VariableError(f"not an amount: {text!r}") from exc
    if not amount.is_finite():  # "NaN", "Infinity": compared, they raise InvalidOperation
        raise VariableError(f"not an amount: {text!r}")
    try:
        kopecks = amount.quantize(_KOPECK)
    except InvalidOperation:  # more digits than the context holds (1e30, a sheet's float)
        raise VariableError(f"not an amount in roubles and kopecks: {text!r}") from None
    if amount < 0 or amount != kopecks:
        raise VariableError(f"not an amount in roubles and kopecks: {text!r}")
    return str(kopecks)


def _date(text: str) -> str:
    iso = _ISO_DATE.match(text)
    if iso is not None:
        try:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3])).isoformat()
        except ValueError:
            pass  # strptime below refuses it with the same message as ever
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text[:10], fmt).date().isoformat()
        except ValueError:
            continue
    raise VariableError(f"not a date (YYYY-MM-DD or DD.MM.YYYY): {text!r}")


def _time(text: str) -> str:
    try:
        return dt.datetime.strptime(text[:5], "%H:%M").time().strftime("%H:%M")
    except ValueError as exc:
        raise VariableError(f"not a time (HH:MM): {text!r}") from exc


def _number(text: str) -> str:
    if not text.isdigit():
        raise VariableError(f"not a whole number: {text!r}")
    return str(int(text))


def _phone(text: str) -> str:
    digits = _PHONE_SEPARATORS.sub("", text)
    if not digits.isdigit() or not 5 <= len(digits) <= 15:
        raise VariableError(f"not a phone number: {text!r}")
    return digits


def _as_is(text: str) -> str:
    return text


_CHECKS: Final[dict[SayKind, Callable[[str], str]]] = {
    SayKind.MONEY: _money,
    SayKind.DATE: _date,
    SayKind.TIME: _time,
    SayKind.NUMBER: _number,
    SayKind.PHONE: _phone,
}


def parse_value(kind: SayKind, raw: Any) -> str:
    """A personal value checked and normalised (stored as text): VariableError if invalid."""
    return _CHECKS.get(kind, _as_is)(_text(kind, raw))


def value_parser(kind: SayKind) -> Callable[[Any], str]:
    """``parse_value`` for one kind, the check chosen once: a contact list's column is
    parsed with it on every row."""
    check = _CHECKS.get(kind, _as_is)

    def parse(raw: Any) -> str:
        return check(_text(kind, raw))

    return parse


def email_value(kind: SayKind, value: str) -> str:
    """A stored value as it reads in an e-mail: 1 234,50 руб., 10.12.2026."""
    if kind is SayKind.MONEY:
        whole, _, kopecks = value.partition(".")
        return f"{int(whole):,}".replace(",", "\u00a0") + f",{kopecks or '00'} руб."
    if kind is SayKind.DATE:
        return dt.date.fromisoformat(value).strftime("%d.%m.%Y")
    return value


def phrase(kind: SayKind, value: str, *, say_zero_kopecks: bool = False) -> Phrase | None:
    """The readout of a stored value; None for text, which is synthesised whole."""
    if kind is SayKind.MONEY:
        return russian.money(Decimal(value), say_zero_kopecks=say_zero_kopecks)
    if kind is SayKind.DATE:
        return russian.date(dt.date.fromisoformat(value))
    if kind is SayKind.TIME:
        return russian.time_of_day(dt.time.fromisoformat(value))
    if kind is SayKind.NUMBER:
        return russian.number(int(value))
    if kind is SayKind.PHONE:
        return russian.phone(value)
    return None
