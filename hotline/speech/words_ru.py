"""Russian words as pre-recordable fragments: the tables behind :mod:`hotline.speech.russian`.

Every word a readout can say is a *fragment*: a stable ASCII id (``[a-z0-9_.]+``, safe as a file
name) mapped to its Russian text in :data:`FRAGMENTS`.  A :class:`Phrase` carries both the text
(for TTS) and the fragment ids (for playing pre-rendered audio one after another), and
:func:`phrase` builds both from the ids, so the two cannot disagree.  :data:`FRAGMENTS` is
generated from the same tables the composers below use; there is no second list.

Ids:

* ``num.0`` ... ``num.19``, ``num.20`` ... ``num.90``, ``num.100`` ... ``num.900``: cardinal
  numerals in the nominative (masculine where it matters); ``num.1f`` «одна», ``num.1n`` «одно»,
  ``num.2f`` «две».
* ``thousand.one|few|many``, likewise ``million``, ``billion``, ``trillion``: scale words.
* ``ord.1`` ... ``ord.19``, ``ord.20`` ... ``ord.90``, ``ord.100`` ... ``ord.900``,
  ``ord.1000`` ... ``ord.9000``: ordinals in the genitive masculine/neuter («третьего»,
  «двухтысячного»), for days and years.
* ``month.january`` ... ``month.december``: months in the genitive.
* ``rouble``, ``kopeck``, ``hour``, ``minute``, ``kwh`` ``.one|few|many``; ``whole``, ``tenth``,
  ``hundredth``, ``thousandth`` ``.one|many`` (their "few" form is the "many" one).
* ``word.minus``, ``word.plus``, ``word.exactly`` («ровно»), ``word.year`` («года»).
* ``gen.0`` ... ``gen.19``, ``gen.20`` ... ``gen.50``: cardinals in the genitive, for clock
  times; ``weekday.0`` ... ``weekday.6`` (Monday first) and ``weekday_on.*`` («в среду»);
  ``hours.*``: the words of the operator-hours sentence (R-012).

Pure module: no I/O, nothing loaded at import beyond these tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

Gender = Literal["m", "f", "n"]
PluralCategory = Literal["one", "few", "many"]

GENDERS: Final[tuple[Gender, ...]] = ("m", "f", "n")


@dataclass(frozen=True, slots=True)
class Phrase:
    """Something to say: its Russian text and the fragments that say it when played in order.

    ``text`` is lower case with single spaces; a comma marks a pause.  Joining the texts of
    ``fragments`` with spaces gives ``text`` without its commas.
    """

    text: str
    fragments: tuple[str, ...]

    def __add__(self, other: Phrase) -> Phrase:
        """Say ``self`` then ``other``: texts joined by a space (no pause), fragments chained."""
        if not isinstance(other, Phrase):
            return NotImplemented
        if not other.text:
            return self
        if not self.text:
            return other
        return Phrase(f"{self.text} {other.text}", self.fragments + other.fragments)


def plural_category(n: int) -> PluralCategory:
    """Which form of a Russian noun follows the number ``n`` (the sign is ignored).

    ``n % 100`` in 11..14 -> "many"; ``n % 10`` == 1 -> "one"; 2..4 -> "few"; else "many".
    """
    n = abs(n)
    if 11 <= n % 100 <= 14:
        return "many"
    last = n % 10
    if last == 1:
        return "one"
    if 2 <= last <= 4:
        return "few"
    return "many"


def plural_form(n: int, one: str, few: str, many: str) -> str:
    """The form agreeing with ``n``: ``plural_form(21, "рубль", "рубля", "рублей")`` -> "рубль"."""
    category = plural_category(n)
    if category == "one":
        return one
    if category == "few":
        return few
    return many


@dataclass(frozen=True, slots=True)
class Noun:
    """A counted noun (or scale word) in its three forms after a number, and its gender."""

    key: str
    gender: Gender
    one: str
    few: str
    many: str

    def form_id(self, category: PluralCategory) -> str:
        # Nouns whose "few" and "many" forms coincide (целых, десятых) have one fragment for both.
        if category == "few" and self.few == self.many:
            category = "many"
        return f"{self.key}.{category}"

    def id_for(self, n: int) -> str:
        """The fragment id of the form that agrees with ``n``."""
        return self.form_id(plural_category(n))

    def fragments(self) -> dict[str, str]:
        return {
            self.form_id("one"): self.one,
            self.form_id("few"): self.few,
            self.form_id("many"): self.many,
        }


# --- tables --------------------------------------------------------------------------------

UNITS: Final = (
    "ноль",
    "один",
    "два",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
)
# The only numerals that change with gender in the nominative.  Neuter "два" is the masculine.
GENDERED_UNITS: Final[Mapping[tuple[int, Gender], str]] = {
    (1, "f"): "одна",
    (1, "n"): "одно",
    (2, "f"): "две",
}
TENS: Final[Mapping[int, str]] = {
    20: "двадцать",
    30: "тридцать",
    40: "сорок",
    50: "пятьдесят",
    60: "шестьдесят",
    70: "семьдесят",
    80: "восемьдесят",
    90: "девяносто",
}
HUNDREDS: Final[Mapping[int, str]] = {
    100: "сто",
    200: "двести",
    300: "триста",
    400: "четыреста",
    500: "пятьсот",
    600: "шестьсот",
    700: "семьсот",
    800: "восемьсот",
    900: "девятьсот",
}
# Thousand, million, billion, trillion: SCALES[i] counts 1000 ** (i + 1).
SCALES: Final = (
    Noun("thousand", "f", "тысяча", "тысячи", "тысяч"),
    Noun("million", "m", "миллион", "миллиона", "миллионов"),
    Noun("billion", "m", "миллиард", "миллиарда", "миллиардов"),
    Noun("trillion", "m", "триллион", "триллиона", "триллионов"),
)
MAX_CARDINAL: Final = 1000 ** (len(SCALES) + 1) - 1

# Ordinals in the genitive masculine/neuter: "двадцать третьего ноября", "... года".
ORDINALS_GENITIVE: Final[Mapping[int, str]] = {
    1: "первого",
    2: "второго",
    3: "третьего",
    4: "четвёртого",
    5: "пятого",
    6: "шестого",
    7: "седьмого",
    8: "восьмого",
    9: "девятого",
    10: "десятого",
    11: "одиннадцатого",
    12: "двенадцатого",
    13: "тринадцатого",
    14: "четырнадцатого",
    15: "пятнадцатого",
    16: "шестнадцатого",
    17: "семнадцатого",
    18: "восемнадцатого",
    19: "девятнадцатого",
    20: "двадцатого",
    30: "тридцатого",
    40: "сорокового",
    50: "пятидесятого",
    60: "шестидесятого",
    70: "семидесятого",
    80: "восьмидесятого",
    90: "девяностого",
    100: "сотого",
    200: "двухсотого",
    300: "трёхсотого",
    400: "четырёхсотого",
    500: "пятисотого",
    600: "шестисотого",
    700: "семисотого",
    800: "восьмисотого",
    900: "девятисотого",
    1000: "тысячного",
    2000: "двухтысячного",
    3000: "трёхтысячного",
    4000: "четырёхтысячного",
    5000: "пятитысячного",
    6000: "шеститысячного",
    7000: "семитысячного",
    8000: "восьмитысячного",
    9000: "девятитысячного",
}
MAX_ORDINAL: Final = 9999

MONTHS: Final = (
    ("january", "января"),
    ("february", "февраля"),
    ("march", "марта"),
    ("april", "апреля"),
    ("may", "мая"),
    ("june", "июня"),
    ("july", "июля"),
    ("august", "августа"),
    ("september", "сентября"),
    ("october", "октября"),
    ("november", "ноября"),
    ("december", "декабря"),
)
MONTH_IDS: Final = tuple(f"month.{name}" for name, _ in MONTHS)

ROUBLE: Final = Noun("rouble", "m", "рубль", "рубля", "рублей")
KOPECK: Final = Noun("kopeck", "f", "копейка", "копейки", "копеек")
HOUR: Final = Noun("hour", "m", "час", "часа", "часов")
MINUTE: Final = Noun("minute", "f", "минута", "минуты", "минут")
KWH: Final = Noun("kwh", "m", "киловатт-час", "киловатт-часа", "киловатт-часов")
# Decimal fractions: "две целых пять десятых", "одна целая одна сотая".
WHOLE: Final = Noun("whole", "f", "целая", "целых", "целых")
TENTH: Final = Noun("tenth", "f", "десятая", "десятых", "десятых")
HUNDREDTH: Final = Noun("hundredth", "f", "сотая", "сотых", "сотых")
THOUSANDTH: Final = Noun("thousandth", "f", "тысячная", "тысячных", "тысячных")
NOUNS: Final = (ROUBLE, KOPECK, HOUR, MINUTE, KWH, WHOLE, TENTH, HUNDREDTH, THOUSANDTH)

MINUS: Final = "word.minus"
PLUS: Final = "word.plus"
EXACTLY: Final = "word.exactly"
YEAR_GENITIVE: Final = "word.year"
WORDS: Final[Mapping[str, str]] = {
    MINUS: "минус",
    PLUS: "плюс",
    EXACTLY: "ровно",
    YEAR_GENITIVE: "года",
}

# Operator hours: cardinals in the genitive for clock times («с восьми тридцати до
# двадцати»), weekdays («следующий рабочий день — понедельник», «перезвонит в понедельник») and
# the words of the hours sentence (hotline.speech.hours_ru).
CARDINALS_GENITIVE: Final[Mapping[int, str]] = {
    0: "ноля",
    1: "одного",
    2: "двух",
    3: "трёх",
    4: "четырёх",
    5: "пяти",
    6: "шести",
    7: "семи",
    8: "восьми",
    9: "девяти",
    10: "десяти",
    11: "одиннадцати",
    12: "двенадцати",
    13: "тринадцати",
    14: "четырнадцати",
    15: "пятнадцати",
    16: "шестнадцати",
    17: "семнадцати",
    18: "восемнадцати",
    19: "девятнадцати",
    20: "двадцати",
    30: "тридцати",
    40: "сорока",
    50: "пятидесяти",
}
# Monday first, as date.weekday(): the nominative, and «в …» (accusative) for when.
WEEKDAYS_NOMINATIVE: Final = (
    "понедельник",
    "вторник",
    "среда",
    "четверг",
    "пятница",
    "суббота",
    "воскресенье",
)
WEEKDAYS_ON: Final = (
    "в понедельник",
    "во вторник",
    "в среду",
    "в четверг",
    "в пятницу",
    "в субботу",
    "в воскресенье",
)
HOURS_WORDS: Final[Mapping[str, str]] = {
    "hours.today": "сегодня",
    "hours.tomorrow": "завтра",
    "hours.work_from": "операторы работают с",
    "hours.until": "до",
    "hours.after": "после",
    "hours.around_the_clock": "операторы работают круглосуточно",
    "hours.day_off": "сегодня у операторов выходной",
    "hours.next_day": "следующий рабочий день",
    "hours.callback": "оператор перезвонит вам",
    # Agreed callback windows (R-109; hotline.contact_center.slots).
    "hours.within_hour": "в течение часа",
    "hours.within_next": "в ближайшие",
    "hours.until_noon": "до полудня",
    "hours.after_noon": "после полудня",
}


# --- the fragment inventory ----------------------------------------------------------------


def _unit_id(value: int, gender: Gender) -> str:
    return f"num.{value}{gender}" if (value, gender) in GENDERED_UNITS else f"num.{value}"


def _inventory() -> dict[str, str]:
    entries: list[tuple[str, str]] = []
    entries += [(f"num.{value}", text) for value, text in enumerate(UNITS)]
    entries += [
        (_unit_id(value, gender), text) for (value, gender), text in GENDERED_UNITS.items()
    ]
    entries += [(f"num.{value}", text) for value, text in TENS.items()]
    entries += [(f"num.{value}", text) for value, text in HUNDREDS.items()]
    for noun in (*SCALES, *NOUNS):
        entries += noun.fragments().items()
    entries += [(f"ord.{value}", text) for value, text in ORDINALS_GENITIVE.items()]
    entries += zip(MONTH_IDS, (text for _, text in MONTHS), strict=True)
    entries += WORDS.items()
    entries += [(f"gen.{value}", text) for value, text in CARDINALS_GENITIVE.items()]
    entries += [(f"weekday.{day}", text) for day, text in enumerate(WEEKDAYS_NOMINATIVE)]
    entries += [(f"weekday_on.{day}", text) for day, text in enumerate(WEEKDAYS_ON)]
    entries += HOURS_WORDS.items()
    inventory: dict[str, str] = {}
    for fragment_id, text in entries:
        if fragment_id in inventory:
            raise RuntimeError(f"fragment id {fragment_id!r} defined twice")
        inventory[fragment_id] = text
    return inventory


_TEXT: Final = _inventory()
FRAGMENTS: Final[Mapping[str, str]] = MappingProxyType(_TEXT)
DIGIT_IDS: Final = tuple(f"num.{d}" for d in range(10))


def phrase(*groups: Sequence[str]) -> Phrase:
    """The phrase saying each group of fragment ids, with a pause (comma) between groups."""
    return Phrase(
        ", ".join(" ".join([_TEXT[i] for i in group]) for group in groups if group),
        tuple(i for group in groups for i in group),
    )


def join(phrases: Iterable[Phrase]) -> Phrase:
    """The phrases one after another with a pause (comma) between them."""
    parts = [p for p in phrases if p.text]
    return Phrase(", ".join(p.text for p in parts), tuple(i for p in parts for i in p.fragments))


# --- composers -----------------------------------------------------------------------------


def _triad(value: int, gender: Gender) -> tuple[str, ...]:
    hundreds, rest = divmod(value, 100)
    ids = [f"num.{hundreds * 100}"] if hundreds else []
    if rest >= 20:
        tens, unit = divmod(rest, 10)
        ids.append(f"num.{tens * 10}")
        if unit:
            ids.append(_unit_id(unit, gender))
    elif rest:
        ids.append(_unit_id(rest, gender))
    return tuple(ids)


# Fragment ids for 0..999 in each gender (0 says nothing: it is a silent group).
_TRIADS: Final[Mapping[Gender, tuple[tuple[str, ...], ...]]] = {
    gender: tuple(_triad(value, gender) for value in range(1000)) for gender in GENDERS
}
_ZERO: Final = ("num.0",)


def cardinal_ids(n: int, gender: Gender = "m") -> tuple[str, ...]:
    """Fragment ids of the cardinal ``n`` in the nominative; ``gender`` agrees the last group.

    Thousands are feminine («одна тысяча», «две тысячи»), millions and up masculine.
    The caller checks ``abs(n) <= MAX_CARDINAL``.
    """
    if n == 0:
        return _ZERO
    ids: list[str] = []
    if n < 0:
        ids.append(MINUS)
        n = -n
    groups: list[int] = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    for scale in range(len(groups) - 1, 0, -1):
        group = groups[scale]
        if group:
            noun = SCALES[scale - 1]
            ids += _TRIADS[noun.gender][group]
            ids.append(noun.id_for(group))
    ids += _TRIADS[gender][groups[0]]
    return tuple(ids)


def ordinal_genitive_ids(n: int) -> tuple[str, ...]:
    """Fragment ids of the ordinal ``n`` (1..9999) in the genitive masculine/neuter.

    Only the last word is an ordinal: «две тысячи двадцать шестого», «тысяча девятисотого»,
    «двухтысячного».  The caller checks the range.
    """
    thousands, rest = divmod(n, 1000)
    if not rest:
        return (f"ord.{n}",)
    ids: list[str] = []
    if thousands == 1:
        ids.append(SCALES[0].form_id("one"))  # «тысяча девятьсот...», not «одна тысяча»
    elif thousands:
        ids += _TRIADS["f"][thousands]
        ids.append(SCALES[0].id_for(thousands))
    hundreds, rest = divmod(rest, 100)
    if not rest:
        ids.append(f"ord.{hundreds * 100}")
        return tuple(ids)
    if hundreds:
        ids.append(f"num.{hundreds * 100}")
    if rest < 20 or not rest % 10:
        ids.append(f"ord.{rest}")
    else:
        ids.append(f"num.{rest - rest % 10}")
        ids.append(f"ord.{rest % 10}")
    return tuple(ids)


def count_ids(n: int, noun: Noun) -> tuple[str, ...]:
    """``n`` in the noun's gender followed by the agreeing noun form: «двадцать одна копейка»."""
    return (*cardinal_ids(n, noun.gender), noun.id_for(n))
