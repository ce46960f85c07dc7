"""Russian readout of numbers, money, dates, times, kWh, meter readings, phones and accounts.

Every function is pure and returns a :class:`Phrase`: the Russian ``text`` (lower case, single
spaces, a comma where the speaker pauses) for TTS and ``hotline say --text``, and the
``fragments`` (ids in :data:`FRAGMENTS`) whose pre-rendered audio, played in order, says the
same words.  Composition is table-driven (:mod:`hotline.speech.words_ru`); neither num2words nor
pymorphy3 is imported here — the tests use both as independent oracles.

Rules chosen (R-083):

* ``money``: roubles are always said, except when the amount is below one rouble and has
  kopecks: ``0.05`` -> «пять копеек» (callers hear the kopecks only, not «ноль рублей пять
  копеек»); ``0.00`` -> «ноль рублей».  Zero kopecks are omitted unless ``say_zero_kopecks``.
  Debt/overpayment wording is the caller's business, so negative amounts are rejected.
* ``reading`` (a meter reading as typed on the keypad): **digit by digit**, in groups of at most
  three with a pause between groups; the groups are as equal as possible, the longer ones first
  (4 -> 2+2, 5 -> 3+2, 6 -> 3+3, 7 -> 3+2+2, 8 -> 3+3+2).  Each spoken word is one key the
  caller pressed, in the order pressed; leading zeros are spoken.
* ``account``: the same grouping, but each group is said **as a number** («сто двадцать три»),
  except that a group starting with 0 is said digit by digit («ноль четыре пять»), so no digit
  (and no leading zero) is lost and the caller compares triplets with the bill.
* ``phone``: Russian numbers (11 digits starting 7 or +7, or 8 without a plus) as people say
  them: prefix, 3, 3, 2, 2 (``+7 913 123-45-67`` -> «плюс семь, девятьсот тринадцать, сто
  двадцать три, сорок пять, шестьдесят семь»).  Other numbers: up to 3 digits one group (112),
  otherwise the last four digits as 2+2 and the rest in groups of at most three as above
  (5 -> 1+2+2, 6 -> 2+2+2, 7 -> 3+2+2, 10 -> 3+3+2+2), the country code of a non-Russian ``+``
  number is not singled out.  Groups are numbers, or digit by digit when starting with 0.
  Spaces, hyphens and parentheses are ignored; a ``+`` is allowed only first.
"""

from __future__ import annotations

import datetime as dt
from decimal import Context, Decimal
from typing import Final

from hotline.speech.words_ru import (
    DIGIT_IDS,
    EXACTLY,
    FRAGMENTS,
    GENDERS,
    HOUR,
    HUNDREDTH,
    KOPECK,
    KWH,
    MAX_CARDINAL,
    MINUTE,
    MONTH_IDS,
    PLUS,
    ROUBLE,
    TENTH,
    THOUSANDTH,
    WHOLE,
    YEAR_GENITIVE,
    Gender,
    Phrase,
    cardinal_ids,
    count_ids,
    join,
    ordinal_genitive_ids,
    phrase,
    plural_form,
)

__all__ = [
    "FRAGMENTS",
    "MAX_CARDINAL",
    "MAX_DIGITS",
    "MAX_PHONE_DIGITS",
    "MAX_PHONE_LENGTH",
    "Gender",
    "Phrase",
    "account",
    "date",
    "day_of_month",
    "digits",
    "join",
    "kwh",
    "money",
    "number",
    "phone",
    "plural_form",
    "reading",
    "time_of_day",
]

MAX_DIGITS: Final = 32  # digits(), reading(), account(): longer input is a caller's bug
MAX_PHONE_DIGITS: Final = 15  # E.164
MAX_PHONE_LENGTH: Final = 40  # with separators: "+7 (913) 123-45-67" is 18
GROUP_SIZE: Final = 3

# Exact arithmetic regardless of the thread's decimal context: amounts are at most 19 digits.
_CONTEXT: Final = Context(prec=50)
_MAX_DECIMAL: Final = Decimal(MAX_CARDINAL + 1)
_PHONE_SEPARATORS: Final = str.maketrans("", "", " -()")
_RUSSIAN_PHONE: Final = (1, 3, 3, 2, 2)
_DIGIT_ID: Final = dict(zip("0123456789", DIGIT_IDS, strict=True))


def number(n: int, gender: Gender = "m") -> Phrase:
    """The cardinal ``n`` in the nominative: «двадцать одна» (f), «минус пять», «одна тысяча».

    ``gender`` agrees «один/одна/одно», «два/две» with the noun that follows.
    ``abs(n) <= MAX_CARDINAL`` (999 триллионов ...).
    """
    _check_int(n, "number")
    if gender not in GENDERS:
        raise ValueError(f"gender must be one of {GENDERS}, got {gender!r}")
    if abs(n) > MAX_CARDINAL:
        raise ValueError(f"number {n} is out of range (at most {MAX_CARDINAL} in absolute value)")
    return phrase(cardinal_ids(n, gender))


def money(amount: Decimal, *, say_zero_kopecks: bool = False) -> Phrase:
    """Roubles and kopecks: ``Decimal("1234.56")`` -> «одна тысяча двести тридцать четыре рубля
    пятьдесят шесть копеек».

    Only :class:`~decimal.Decimal` is accepted (an int would be ambiguous — roubles or kopecks —
    and a float inexact), non-negative, finite, with at most two decimal places by value
    (``Decimal("1.50")`` and ``Decimal("1.500")`` are the same amount).  See the module notes for
    amounts below one rouble.
    """
    if not isinstance(amount, Decimal):
        raise TypeError(
            f"money() needs a Decimal amount in roubles, got {type(amount).__name__} {amount!r}"
        )
    kopecks_total = _scaled(amount, 2, "amount")
    roubles, kopecks = divmod(kopecks_total, 100)
    ids: tuple[str, ...] = ()
    if roubles or not kopecks:
        ids = count_ids(roubles, ROUBLE)
    if kopecks or say_zero_kopecks:
        ids += count_ids(kopecks, KOPECK)
    return phrase(ids)


def date(d: dt.date, *, with_year: bool = False) -> Phrase:
    """Day and month in the genitive: «двадцать третьего ноября»; with the year: «... две тысячи
    двадцать шестого года».

    A ``datetime`` is refused: convert it to the local date of the account first.
    """
    if isinstance(d, dt.datetime) or not isinstance(d, dt.date):
        raise TypeError(f"date() needs a datetime.date, got {type(d).__name__} {d!r}")
    ids = (*ordinal_genitive_ids(d.day), MONTH_IDS[d.month - 1])
    if with_year:
        ids += (*ordinal_genitive_ids(d.year), YEAR_GENITIVE)
    return phrase(ids)


def day_of_month(day: int) -> Phrase:
    """A day of the month as an ordinal in the genitive, without the month: ``23`` ->
    «двадцать третьего» (as in «с двадцать третьего до двадцать шестого числа»)."""
    _check_int(day, "day_of_month")
    if not 1 <= day <= 31:
        raise ValueError(f"day of the month must be 1..31, got {day}")
    return phrase(ordinal_genitive_ids(day))


def time_of_day(t: dt.time) -> Phrase:
    """Hours and minutes: «четырнадцать часов тридцать пять минут», «один час одна минута»,
    «десять часов ровно», midnight «ноль часов ровно».  Seconds and the time zone are ignored.
    """
    if not isinstance(t, dt.time):
        raise TypeError(f"time_of_day() needs a datetime.time, got {type(t).__name__} {t!r}")
    ids = count_ids(t.hour, HOUR)
    ids += count_ids(t.minute, MINUTE) if t.minute else (EXACTLY,)
    return phrase(ids)


def kwh(value: Decimal | int) -> Phrase:
    """A quantity of kilowatt-hours: «двенадцать тысяч триста сорок пять киловатт-часов».

    A fractional :class:`~decimal.Decimal` (at most three decimal places by value; trailing
    zeros do not count) is read as a decimal fraction with the noun in the genitive singular:
    ``12.5`` -> «двенадцать целых пять десятых киловатт-часа».  Negative values are rejected.
    """
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"kwh() needs an int or a Decimal, got {type(value).__name__} {value!r}")
    if isinstance(value, int):
        if not 0 <= value <= MAX_CARDINAL:
            raise ValueError(f"kWh value {value} is out of range (0..{MAX_CARDINAL})")
        return phrase(count_ids(value, KWH))
    whole, fraction = divmod(_scaled(value, 3, "kWh value"), 1000)
    if not fraction:
        return phrase(count_ids(whole, KWH))
    denominator = THOUSANDTH
    for coarser in (HUNDREDTH, TENTH):
        if fraction % 10:
            break
        fraction //= 10
        denominator = coarser
    return phrase(
        (*count_ids(whole, WHOLE), *count_ids(fraction, denominator), KWH.form_id("few"))
    )


def digits(value: str) -> Phrase:
    """Digit by digit, without pauses: ``"012"`` -> «ноль один два»."""
    _check_digits(value, "digits")
    return phrase([_DIGIT_ID[c] for c in value])


def reading(value: str) -> Phrase:
    """A meter reading as typed, digit by digit in groups (see the module notes):
    ``"012345"`` -> «ноль один два, три четыре пять», ``"1234"`` -> «один два, три четыре».
    """
    _check_digits(value, "reading")
    return phrase(*([_DIGIT_ID[c] for c in g] for g in _split(value, _balanced(len(value)))))


def account(value: str) -> Phrase:
    """An account number in groups of at most three, each said as a number unless it starts
    with 0: ``"012345678901"`` -> «ноль один два, триста сорок пять, шестьсот семьдесят восемь,
    девятьсот один».
    """
    _check_digits(value, "account")
    return phrase(*(_group_ids(g) for g in _split(value, _balanced(len(value)))))


def phone(number: str) -> Phrase:
    """A phone number grouped as people say it (see the module notes):
    ``"8 800 555-35-35"`` -> «восемь, восемьсот, пятьсот пятьдесят пять, тридцать пять,
    тридцать пять».
    """
    if not isinstance(number, str):
        raise TypeError(f"phone() needs a str, got {type(number).__name__} {number!r}")
    if len(number) > MAX_PHONE_LENGTH:
        raise ValueError(
            f"phone number has {len(number)} characters, more than {MAX_PHONE_LENGTH}"
        )
    compact = number.strip().translate(_PHONE_SEPARATORS)
    plus = compact.startswith("+")
    body = compact[1:] if plus else compact
    if not body or not (body.isascii() and body.isdigit()):
        raise ValueError(
            f"phone number {number!r} must be digits, optionally after a leading '+' "
            "(spaces, hyphens and parentheses are ignored)"
        )
    if len(body) > MAX_PHONE_DIGITS:
        raise ValueError(f"phone number {number!r} has more than {MAX_PHONE_DIGITS} digits")
    if len(body) == 11 and (body[0] == "7" or (body[0] == "8" and not plus)):
        sizes: tuple[int, ...] = _RUSSIAN_PHONE
    elif len(body) <= GROUP_SIZE:
        sizes = (len(body),)
    else:
        sizes = (*_balanced(len(body) - 4), 2, 2)
    groups = [_group_ids(g) for g in _split(body, sizes)]
    if plus:
        groups[0] = (PLUS, *groups[0])
    return phrase(*groups)


# --- helpers -------------------------------------------------------------------------------


def _check_int(n: object, what: str) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what}() needs an int, got {type(n).__name__} {n!r}")


def _check_digits(value: object, what: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{what}() needs a str of digits, got {type(value).__name__} {value!r}")
    if not value:
        raise ValueError(f"{what} is empty")
    if len(value) > MAX_DIGITS:
        raise ValueError(f"{what} has {len(value)} characters, more than {MAX_DIGITS} digits")
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"{what} {value!r} must contain only the digits 0-9")


def _scaled(value: Decimal, places: int, what: str) -> int:
    """``value * 10 ** places`` as an exact int, or a ValueError naming what is wrong."""
    if not value.is_finite():
        raise ValueError(f"{what} must be finite, got {value!r}")
    if value < 0:
        raise ValueError(f"{what} must not be negative, got {value!r}")
    if value >= _MAX_DECIMAL:
        raise ValueError(f"{what} {value!r} is out of range (below {_MAX_DECIMAL})")
    rounded = value.quantize(Decimal((0, (1,), -places)), context=_CONTEXT)
    if rounded != value:
        raise ValueError(f"{what} {value!r} has more than {places} decimal places")
    return int(rounded.scaleb(places, context=_CONTEXT))


def _balanced(length: int) -> tuple[int, ...]:
    """Sizes of at most GROUP_SIZE, as equal as possible, longer first: 7 -> (3, 2, 2)."""
    if not length:
        return ()
    count = -(-length // GROUP_SIZE)
    base, extra = divmod(length, count)
    return (base + 1,) * extra + (base,) * (count - extra)


def _split(value: str, sizes: tuple[int, ...]) -> list[str]:
    parts: list[str] = []
    start = 0
    for size in sizes:
        parts.append(value[start : start + size])
        start += size
    return parts


def _group_ids(group: str) -> tuple[str, ...]:
    """A digit group as a number, or digit by digit if it starts with 0 («ноль пять»)."""
    if group[0] == "0":
        return tuple(_DIGIT_ID[c] for c in group)
    return cardinal_ids(int(group))
