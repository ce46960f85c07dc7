"""Personal data in logs: phone numbers and the channel names that carry them, masked.

Apart from :mod:`hotline.core.phones` because every process configures logging and
phonenumbers costs a quarter of a short CLI command's start-up (issue 18)."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["mask_channel", "mask_phone"]

# In a channel name: a number in the resource part (Local/<number>@context, or a dial string's
# PJSIP/<number>@trunk), or anything as long as a phone number anywhere else.  Channel counters
# (PJSIP/hotline-carrier-0000002a, Local/...-00000001;2) are 8 characters and stay.
_CHANNEL_RESOURCE: Final = re.compile(r"(?<=/)([^/@]*)(?=@)")
_LONG_NUMBER: Final = re.compile(r"\+?\d{9,}")
_NUMBER: Final = re.compile(r"\+?\d{5,}")


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
