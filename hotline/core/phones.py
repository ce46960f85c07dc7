"""Phone numbers: one normal form, E.164 (``+79131234567``), checked with phonenumbers.

The accounts table keys customers' phones by :func:`phone_digits`, the same number's E.164
digits without the ``+`` (``79131234567``): a caller ID is matched against it on every call,
so it is a cheap, lenient transformation (no metadata lookup) that agrees with
:func:`normalise_phone` for every valid Russian number.
"""

from __future__ import annotations

import re
from typing import Final

import phonenumbers

_PHONE_SEPARATORS: Final = str.maketrans("", "", " -()+")
# In a channel name: a number in the resource part (Local/<number>@context, or a dial string's
# PJSIP/<number>@trunk), or anything as long as a phone number anywhere else.  Channel counters
# (PJSIP/hotline-carrier-0000002a, Local/...-00000001;2) are 8 characters and stay.
_CHANNEL_RESOURCE: Final = re.compile(r"(?<=/)([^/@]*)(?=@)")
_LONG_NUMBER: Final = re.compile(r"\+?\d{9,}")
_NUMBER: Final = re.compile(r"\+?\d{5,}")


def normalise_phone(raw: str, region: str) -> str:
    """E.164 (+79131234567); ValueError with the reason when it is not a valid number."""
    text = raw.strip()
    if not text:
        raise ValueError("empty")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {text!r}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"not a valid number: {text!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_digits(raw: str) -> str:
    """Digits only, Russian numbers as 7XXXXXXXXXX (8XXXXXXXXXX and 10-digit 9XX... too), so
    the caller ID and the imported numbers compare equal; ValueError when not a number."""
    digits = raw.strip().translate(_PHONE_SEPARATORS)
    if not digits.isascii() or not digits.isdigit() or not 5 <= len(digits) <= 15:
        raise ValueError(f"not a phone number: {raw!r}")
    if len(digits) == 11 and digits[0] == "8":
        return "7" + digits[1:]
    if len(digits) == 10 and digits[0] == "9":
        return "7" + digits
    return digits


def mask_phone(number: str | None) -> str:
    """Keep the country/area start and the last two digits: +7913*****67."""
    if not number:
        return "-"
    digits = number.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    keep_head = 4 if digits.startswith("+") else 3
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 2) + digits[-2:]


def mask_channel(channel: str | None) -> str:
    """An Asterisk channel name with the numbers it carries masked as :func:`mask_phone` does:
    ``Local/79131234567@hotline-sim-caller-00000001;2`` → ``Local/791******67@...``."""
    if not channel:
        return "-"
    masked = _CHANNEL_RESOURCE.sub(
        lambda m: _NUMBER.sub(lambda n: mask_phone(n.group()), m.group()), channel
    )
    return _LONG_NUMBER.sub(lambda n: mask_phone(n.group()), masked)
