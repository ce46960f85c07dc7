"""Cell parsers of the accounts import (hotline.accounts.importer): each takes a cell's text
and returns its value or raises :class:`Bad` with a reason a billing clerk understands."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hotline.core.phones import phone_digits
from hotline.core.pins import valid_pin

MAX_METER_ID: Final = 32
MAX_TEXT: Final = 1000
_AMOUNT_SPACES: Final = str.maketrans("", "", " \u00a0\u202f")


class Bad(ValueError):
    pass


def account_number(value: str, length: int) -> str:
    if not value:
        raise Bad("required")
    if not (value.isascii() and value.isdigit()):
        raise Bad(f"{value!r} is not a number (digits only)")
    if len(value) != length:
        hint = " (leading zeros lost? format the column as text)" if len(value) < length else ""
        raise Bad(f"{value} has {len(value)} digits, expected {length}{hint}")
    return value


def meter_id(value: str) -> str:
    if not value:
        raise Bad("required")
    if len(value) > MAX_METER_ID:
        raise Bad(f"longer than {MAX_METER_ID} characters")
    return value


def integer(value: str, low: int, high: int | None, *, required: bool = False) -> int | None:
    text = value.translate(_AMOUNT_SPACES)
    if not text:
        if required:
            raise Bad("required")
        return None
    if not (text.isascii() and text.isdigit()):
        raise Bad(f"{value!r} is not a whole number")
    number = int(text)
    if number < low or (high is not None and number > high):
        bounds = f"{low}..{high}" if high is not None else f"at least {low}"
        raise Bad(f"{number} is out of range ({bounds})")
    return number


def amount(value: str, *, required: bool = False, negative: bool = False) -> Decimal | None:
    text = value.translate(_AMOUNT_SPACES).replace(",", ".")
    if not text:
        if required:
            raise Bad("required")
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise Bad(f"{value!r} is not an amount in roubles") from None
    if not amount.is_finite():
        raise Bad(f"{value!r} is not an amount in roubles")
    # Before quantize(): "1e30" has more digits than the decimal context holds.
    if abs(amount) >= Decimal(10) ** 13:
        raise Bad(f"{value!r} is out of range")
    if amount != amount.quantize(Decimal("0.01")):
        raise Bad(f"{value!r} has more than two decimal places (kopecks)")
    if amount < 0 and not negative:
        raise Bad(f"{value!r} must not be negative")
    return amount.quantize(Decimal("0.01"))


def date(value: str) -> dt.date | None:
    if not value:
        return None
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise Bad(f"{value!r} is not a date (YYYY-MM-DD or DD.MM.YYYY)")


def phones(value: str) -> tuple[str, ...]:
    phones = []
    for part in re.split(r"[;,]", value):
        if not part.strip():
            continue
        try:
            phones.append(phone_digits(part))
        except ValueError:
            raise Bad(f"{part.strip()!r} is not a phone number") from None
    return tuple(dict.fromkeys(phones))


def text(value: str) -> str:
    if len(value) > MAX_TEXT:
        raise Bad(f"longer than {MAX_TEXT} characters")
    return value


def timezone(value: str, default: str) -> str:
    if not value:
        return default
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Asia": IsADirectoryError
        raise Bad(f"{value!r} is not a time zone (e.g. Europe/Moscow)") from None
    return value


def pin(value: str) -> str | None:
    """The PIN as typed on a phone; the reason never quotes it (errors are printed)."""
    if not value:
        return None
    if not valid_pin(value):
        raise Bad("a PIN is 4 to 12 digits")
    return value
