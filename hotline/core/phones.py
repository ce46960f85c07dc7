"""Phone numbers: one normal form, E.164 (``+79131234567``), checked with phonenumbers.

The accounts table keys customers' phones by :func:`phone_digits`, the same number's E.164
digits without the ``+`` (``79131234567``): a caller ID is matched against it on every call,
so it is a cheap, lenient transformation (no metadata lookup) that agrees with
:func:`normalise_phone` for every valid Russian number.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Final

import phonenumbers
from phonenumbers import PhoneMetadata

# Re-exported: masking lives apart so that logging does not import phonenumbers.
from hotline.core.masking import mask_channel as mask_channel
from hotline.core.masking import mask_phone as mask_phone

_PHONE_SEPARATORS: Final = str.maketrans("", "", " -()+")


def normalise_phone(raw: str, region: str) -> str:
    """E.164 (+79131234567); ValueError with the reason when it is not a valid number.

    The common Russian spellings (``+7 913 123-45-67``, ``8 (913) 1234567``, ``9131234567``)
    take a fast path that checks the number against phonenumbers' own metadata without its
    general parser (a contact list of 100,000 rows is checked in well under a second); every
    other spelling, and every number the fast path does not accept, goes through
    phonenumbers, which gives the exact reason (issue 19)."""
    text = raw.strip()
    if not text:
        raise ValueError("empty")
    fast = _fast_russian(text, region)
    if fast is not None:
        return fast
    return _normalise_slow(text, region)


def _normalise_slow(text: str, region: str) -> str:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {text!r}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"not a valid number: {text!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Separators the fast path strips (phonenumbers ignores them between digits too).
_FAST_SEPARATORS: Final = str.maketrans("", "", " -()")
# +7 and ten digits; with region RU also 8 and ten digits (trunk prefix) or ten digits alone.
_FAST_INTERNATIONAL: Final = re.compile(r"\+7([1-9]\d{9})")
_FAST_NATIONAL: Final = re.compile(r"8?([1-9]\d{9})")
_RUSSIA: Final = "RU"
_RUSSIA_CODE: Final = 7


# A pattern that never matches: a region with no number of the length, or no type allowing it.
_NEVER: Final = "(?!)"


def _length_allowed(desc: Any, length: int) -> bool:
    return not desc.possible_length or length in desc.possible_length


def _anchored(pattern: str) -> str:
    return f"(?:{pattern})\\Z"


def _region_valid(meta: Any, length: int) -> str:
    """``is_valid_number_for_region`` for one region as a pattern: its general description
    and at least one number type (each allowing ``length`` digits) match the whole number."""
    general = meta.general_desc
    if general is None or not general.national_number_pattern:
        return _NEVER
    if not _length_allowed(general, length):
        return _NEVER
    types = (
        meta.premium_rate,
        meta.toll_free,
        meta.shared_cost,
        meta.voip,
        meta.personal_number,
        meta.pager,
        meta.uan,
        meta.voicemail,
        meta.fixed_line,
        meta.mobile,
    )
    alternatives = [
        _anchored(desc.national_number_pattern)
        for desc in types
        if desc is not None and desc.national_number_pattern and _length_allowed(desc, length)
    ]
    if not alternatives:
        return _NEVER
    return f"(?={_anchored(general.national_number_pattern)})(?:{'|'.join(alternatives)})"


@functools.cache
def _country_seven_pattern(length: int) -> re.Pattern[str]:
    """phonenumbers' region choice and validity check (``region_code_for_number`` and
    ``is_valid_number_for_region``) for +7 numbers of ``length`` digits, as one pattern
    compiled from its own metadata: a region with leading digits decides alone when they
    match, one without them accepts or passes on to the next region, in phonenumbers' order.
    One match in C per number instead of a Python loop over a dozen patterns (issue 19)."""
    rest = _NEVER
    for region in reversed(phonenumbers.region_codes_for_country_code(_RUSSIA_CODE)):
        meta = PhoneMetadata.metadata_for_region(region)
        if meta is None:
            continue
        valid = _region_valid(meta, length)
        if meta.leading_digits:
            lead = f"(?:{meta.leading_digits})"
            rest = f"(?={lead})(?:{valid})|(?!{lead})(?:{rest})"
        else:
            rest = f"(?:{valid})|(?:{rest})"
    return re.compile(rest)


def _valid_seven(national: str) -> bool:
    return _country_seven_pattern(len(national)).match(national) is not None


@functools.lru_cache(maxsize=65_536)
def _fast_russian(text: str, region: str) -> str | None:
    """E.164 for a common Russian spelling of a valid number; None for anything else (the
    caller then asks phonenumbers, which accepts or refuses it with its reason)."""
    compact = text.translate(_FAST_SEPARATORS)
    match = _FAST_INTERNATIONAL.fullmatch(compact)
    if match is None and region == _RUSSIA:
        match = _FAST_NATIONAL.fullmatch(compact)
    if match is None or not compact.isascii():
        return None
    national = match.group(1)
    return f"+7{national}" if _valid_seven(national) else None


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
