"""Personal data in logs: phone numbers and the channel names that carry them, masked.

Apart from :mod:`hotline.core.phones` because every process configures logging and
phonenumbers costs a quarter of a short CLI command's start-up (issue 18)."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["has_nine_digits", "mask_channel", "mask_phone"]

# In a channel name: a number in the resource part (Local/<number>@context, or a dial string's
# PJSIP/<number>@trunk), or anything as long as a phone number anywhere else.  Channel counters
# (PJSIP/hotline-carrier-0000002a, Local/...-00000001;2) are 8 characters and stay.
_CHANNEL_RESOURCE: Final = re.compile(r"(?<=/)([^/@]*)(?=@)")
_LONG_NUMBER: Final = re.compile(r"\+?\d{9,}")
_NUMBER: Final = re.compile(r"\+?\d{5,}")
_NINE_DIGITS: Final = re.compile(r"\d{9}")
# Every ASCII digit to "9", every other byte as it is: a run of nine digits becomes "9" * 9.
_DIGITS_TO_NINE: Final = bytes(0x39 if 0x30 <= b <= 0x39 else b for b in range(256))
_NINE_NINES: Final = b"9" * 9


def has_nine_digits(text: str) -> bool:
    """Whether ``text`` has nine digits in a row (``\\d{9}``): what any phone or account number
    to mask holds.  For ASCII text by one byte translation and a substring search, a quarter
    of the regex search's instructions (issue 19 item 2: run on every log line)."""
    if text.isascii():
        return _NINE_NINES in text.encode().translate(_DIGITS_TO_NINE)
    return _NINE_DIGITS.search(text) is not None  # \d takes every script's digits


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
    if "@" not in channel and not has_nine_digits(channel):
        return channel  # the usual PJSIP/trunk-0000002a: no resource number, no long one
    masked = _CHANNEL_RESOURCE.sub(
        lambda m: _NUMBER.sub(lambda n: mask_phone(n.group()), m.group()), channel
    )
    return _LONG_NUMBER.sub(lambda n: mask_phone(n.group()), masked)
