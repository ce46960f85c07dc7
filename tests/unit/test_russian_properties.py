"""Russian readout (R-083) against independent oracles, over many values.

* pymorphy3 decides the noun form after a number (``make_agree_with_number``) and the gender of
  «один/одна/одно», «два/две» before it;
* num2words gives the cardinal words (masculine; feminine only where num2words is right, see
  :func:`cardinal_oracle`), the genitive ordinals of dates and the currency reading;
* round trips: what reading/account/phone say can be turned back into the digits typed;
* every phrase's fragments say exactly its text.

Hypothesis runs derandomized (the same examples on every run) with 10 000 examples per test,
drawn in batches of :data:`BATCH` per Hypothesis example (issue 19: its engine's bookkeeping per
example cost ten times the checks themselves; the values, their strategies and the oracles are
the same, and a failure still shrinks to one failing value, named in the assertion).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

import pymorphy3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from num2words import num2words

from hotline.speech import words_ru
from hotline.speech.russian import (
    FRAGMENTS,
    MAX_CARDINAL,
    Phrase,
    account,
    date,
    digits,
    kwh,
    money,
    number,
    phone,
    reading,
    time_of_day,
)
from hotline.speech.words_ru import Gender, Noun

EXAMPLES = 10_000
# Values checked per Hypothesis example: EXAMPLES // BATCH examples of BATCH values each.
BATCH = 100
PROPERTY = settings(max_examples=EXAMPLES // BATCH, derandomize=True, deadline=None, database=None)
T = TypeVar("T")


def batch(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[list[T]]:
    """BATCH values of ``strategy`` for one Hypothesis example."""
    return st.lists(strategy, min_size=BATCH, max_size=BATCH)


# Numbers of every size, with plenty of round ones (1000, 2_000_000 ...) and teens.
counts = st.one_of(
    st.integers(0, 1000),
    st.integers(0, 10**6),
    st.integers(0, MAX_CARDINAL),
    st.builds(lambda k, e: k * 10**e, st.integers(0, 999), st.integers(0, 12)),
)
kopecks = st.one_of(
    st.integers(0, 100_000),
    st.integers(0, 10**12),
    st.builds(lambda k, e: k * 10**e, st.integers(0, 999), st.integers(0, 14)),
).map(lambda k: Decimal(k).scaleb(-2))


@cache
def morph() -> Any:
    return pymorphy3.MorphAnalyzer()


@cache
def genders_of(word: str) -> frozenset[str]:
    return frozenset(str(p.tag.gender) for p in morph().parse(word) if p.tag.gender)


def agree(lemma: str, n: int) -> str:
    return str(morph().parse(lemma)[0].make_agree_with_number(n).word)


def agree_fraction(lemma: str, n: int) -> str:
    """«одна целая», else the genitive plural: «две целых», «пять десятых».

    pymorphy3 picks the singular where a fraction needs it, but after 2-4 it gives the
    nominative plural of an adjective («две целые») or the genitive singular of «тысячная»
    («две тысячной»); fractions take the genitive plural there.
    """
    parsed = morph().parse(lemma)[0]
    agreed = parsed.make_agree_with_number(n)
    if {"sing", "nomn"} <= agreed.tag.grammemes:
        return str(agreed.word)
    return str(parsed.inflect({"plur", "gent"}).word)


def cardinal_oracle(n: int, gender: Gender = "m") -> str:
    """num2words' cardinal; only the last three digits take the gender.

    num2words applies a feminine gender to millions as well («одна миллион»), so its feminine
    reading is used for the last group only.
    """
    if gender == "m" or n < 1000:
        return str(num2words(n, lang="ru", gender=gender))
    high, low = n - n % 1000, n % 1000
    words = str(num2words(high, lang="ru"))
    return f"{words} {num2words(low, lang='ru', gender=gender)}" if low else words


def check_gender(text: str, noun: str) -> None:
    """If «один/одна/одно/два/две» comes right before the noun, it has the noun's gender."""
    before = text.split()[-2] if " " in text else ""
    if before in {"один", "одна", "одно", "два", "две"}:
        noun_gender = str(morph().parse(noun)[0].tag.gender)
        assert noun_gender in genders_of(before), (text, noun_gender, genders_of(before))


# --- numbers -------------------------------------------------------------------------------


@PROPERTY
@given(cases=batch(st.tuples(counts, st.booleans())))
def test_masculine_number_is_num2words(cases: list[tuple[int, bool]]) -> None:
    for n, negative in cases:
        value = -n if negative else n
        assert number(value).text == num2words(value, lang="ru"), value


@PROPERTY
@given(cases=batch(st.tuples(counts, st.sampled_from(["f", "n"]))))
def test_gendered_number_is_num2words(cases: list[tuple[int, Gender]]) -> None:
    for n, gender in cases:
        assert number(n, gender).text == cardinal_oracle(n, gender), (n, gender)


NOUNS: dict[str, Noun] = {
    "рубль": words_ru.ROUBLE,
    "копейка": words_ru.KOPECK,
    "киловатт-час": words_ru.KWH,
    "час": words_ru.HOUR,
    "минута": words_ru.MINUTE,
}


@pytest.mark.parametrize("lemma", NOUNS)
@PROPERTY
@given(ns=batch(counts))
def test_noun_after_a_number_agrees_as_pymorphy_says(lemma: str, ns: list[int]) -> None:
    noun = NOUNS[lemma]
    for n in ns:
        text = words_ru.phrase(words_ru.count_ids(n, noun)).text
        expected_noun = agree(lemma, n)
        assert text == f"{cardinal_oracle(n, noun.gender)} {expected_noun}", n
        check_gender(text, lemma)


# --- money ---------------------------------------------------------------------------------


@PROPERTY
@given(cases=batch(st.tuples(kopecks, st.booleans())))
def test_money_agrees_with_pymorphy_and_num2words(cases: list[tuple[Decimal, bool]]) -> None:
    for amount, say_zero in cases:
        check_money(amount, say_zero)


def check_money(amount: Decimal, say_zero: bool) -> None:
    roubles, cents = divmod(int(amount * 100), 100)
    parts = []
    if roubles or not cents:
        parts.append(f"{num2words(roubles, lang='ru')} {agree('рубль', roubles)}")
        check_gender(parts[-1], "рубль")
    if cents or say_zero:
        parts.append(f"{num2words(cents, lang='ru', gender='f')} {agree('копейка', cents)}")
        check_gender(parts[-1], "копейка")
    said = money(amount, say_zero_kopecks=say_zero)
    assert said.text == " ".join(parts)
    if roubles and say_zero:
        # num2words' own currency reading, which always says the kopecks, after a comma.
        currency = num2words(amount, lang="ru", to="currency", currency="RUB")
        assert said.text == currency.replace(",", "")


# --- dates and times, exhaustively ---------------------------------------------------------


def test_every_year_is_num2words_genitive_ordinal() -> None:
    for year in range(1, 10_000):
        said = date(dt.date(year, 5, 9), with_year=True).text
        assert (
            said
            == f"девятого мая {num2words(year, lang='ru', to='ordinal', case='genitive')} года"
        )


def test_every_day_of_a_leap_year() -> None:
    months = [agree_month(m) for m in range(1, 13)]
    day = dt.date(2024, 1, 1)
    while day.year == 2024:
        ordinal = num2words(day.day, lang="ru", to="ordinal", case="genitive")
        assert date(day).text == f"{ordinal} {months[day.month - 1]}"
        day += dt.timedelta(days=1)


def agree_month(month: int) -> str:
    names = ["январь", "февраль", "март", "апрель", "май", "июнь"]
    names += ["июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"]
    return str(morph().parse(names[month - 1])[0].inflect({"gent"}).word)


def test_every_minute_of_the_day() -> None:
    for hour in range(24):
        for minute in range(60):
            said = time_of_day(dt.time(hour, minute)).text
            hours = f"{num2words(hour, lang='ru')} {agree('час', hour)}"
            minutes = f"{num2words(minute, lang='ru', gender='f')} {agree('минута', minute)}"
            assert said == f"{hours} {minutes if minute else 'ровно'}"
            check_gender(hours, "час")
            check_gender(minutes, "минута")


# --- kWh fractions -------------------------------------------------------------------------


@PROPERTY
@given(cases=batch(st.tuples(counts, st.integers(1, 999))))
def test_fractional_kwh(cases: list[tuple[int, int]]) -> None:
    for whole, thousandths in cases:
        check_fractional_kwh(whole, thousandths)


def check_fractional_kwh(whole: int, thousandths: int) -> None:
    value = Decimal(whole) + Decimal(thousandths).scaleb(-3)
    numerator, places = thousandths, 3
    while not numerator % 10:
        numerator //= 10
        places -= 1
    denominator = {1: "десятая", 2: "сотая", 3: "тысячная"}[places]
    expected = (
        f"{cardinal_oracle(whole, 'f')} {agree_fraction('целая', whole)} "
        f"{cardinal_oracle(numerator, 'f')} {agree_fraction(denominator, numerator)} "
        "киловатт-часа"
    )
    assert kwh(value).text == expected, value


# --- round trips: the caller can check every digit -----------------------------------------

_WORD_DIGIT = {words_ru.UNITS[d]: str(d) for d in range(10)}
_NUMBER_WORDS = {str(num2words(n, lang="ru")): n for n in range(1, 1000)}
digit_strings = st.text("0123456789", min_size=1, max_size=32)


def _groups(text: str) -> list[str]:
    return text.split(", ")


def _decode(group: str) -> str:
    """A spoken group back to its digits: digit by digit if it starts with «ноль»."""
    if group.startswith("ноль"):
        return "".join(_WORD_DIGIT[w] for w in group.split())
    return str(_NUMBER_WORDS[group])


def _balanced(sizes: list[int]) -> bool:
    """As few groups of at most three as possible, sizes within one, longer first."""
    return (
        len(sizes) == -(-sum(sizes) // 3)
        and sizes == sorted(sizes, reverse=True)
        and max(sizes) - min(sizes) <= 1
    )


@PROPERTY
@given(values=batch(digit_strings))
def test_reading_says_each_digit_in_balanced_groups(values: list[str]) -> None:
    for value in values:
        groups = _groups(reading(value).text)
        assert "".join(_WORD_DIGIT[w] for g in groups for w in g.split()) == value
        assert _balanced([len(g.split()) for g in groups]), value
        assert reading(value).text.replace(",", "") == digits(value).text


@PROPERTY
@given(values=batch(digit_strings))
def test_account_groups_decode_to_the_digits(values: list[str]) -> None:
    for value in values:
        decoded = [_decode(g) for g in _groups(account(value).text)]
        assert "".join(decoded) == value
        assert _balanced([len(d) for d in decoded]), value


@PROPERTY
@given(
    cases=batch(
        st.tuples(
            st.booleans(),
            st.text("0123456789", min_size=1, max_size=15),
            st.sampled_from(["", "7", "8"]),
        )
    )
)
def test_phone_groups_decode_to_the_digits(cases: list[tuple[bool, str, str]]) -> None:
    for plus, body, russian in cases:
        check_phone(plus, body, russian)


def check_phone(plus: bool, body: str, russian: str) -> None:
    if russian:
        body = russian + (body * 10)[:10]
    said = phone(("+" if plus else "") + body).text
    if plus:
        assert said.startswith("плюс ")
        said = said.removeprefix("плюс ")
    decoded = [_decode(g) for g in _groups(said)]
    assert "".join(decoded) == body
    sizes = [len(d) for d in decoded]
    if len(body) == 11 and (body[0] == "7" or (body[0] == "8" and not plus)):
        assert sizes == [1, 3, 3, 2, 2]
    elif len(body) > 3:
        assert sizes[-2:] == [2, 2]
        assert sizes[:-2] == [] or _balanced(sizes[:-2])


# --- fragments say the text ----------------------------------------------------------------

_TEXT_SHAPE = re.compile(r"[а-яё-]+(,? [а-яё-]+)*")
times = st.builds(dt.time, st.integers(0, 23), st.integers(0, 59))
readouts: st.SearchStrategy[Phrase] = st.one_of(
    st.builds(number, counts, st.sampled_from(["m", "f", "n"])),
    st.builds(lambda n: number(-n), st.integers(1, MAX_CARDINAL)),
    st.builds(money, kopecks, say_zero_kopecks=st.booleans()),
    st.builds(date, st.dates(), with_year=st.booleans()),
    st.builds(time_of_day, times),
    st.builds(kwh, counts),
    st.builds(kwh, st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False)),
    st.builds(reading, digit_strings),
    st.builds(account, digit_strings),
    st.builds(digits, digit_strings),
    st.builds(phone, st.from_regex(r"\A\+?[0-9]{1,15}\Z")),
    st.builds(phone, st.from_regex(r"\A(\+7|8) ?\(?9[0-9]{2}\)? ?[0-9]{3}-[0-9]{2}-[0-9]{2}\Z")),
)


@PROPERTY
@given(phrases=batch(readouts))
def test_fragments_say_the_text(phrases: list[Phrase]) -> None:
    for phrase in phrases:
        said = " ".join(FRAGMENTS[f] for f in phrase.fragments)
        assert said == phrase.text.replace(",", ""), phrase.text
        assert _TEXT_SHAPE.fullmatch(phrase.text), phrase.text


@settings(PROPERTY, max_examples=1_000 // BATCH)
@given(pairs=batch(st.tuples(readouts, readouts)))
def test_added_phrases_say_both(pairs: list[tuple[Phrase, Phrase]]) -> None:
    for first, second in pairs:
        both = first + second
        assert both.text == f"{first.text} {second.text}"
        said = " ".join(FRAGMENTS[f] for f in both.fragments)
        assert said == both.text.replace(",", ""), both.text
