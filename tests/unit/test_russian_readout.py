"""Russian readout (R-083): table tests of every function, the edge cases and invalid input."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest

from hotline.speech import hours_ru, russian
from hotline.speech.russian import (
    FRAGMENTS,
    MAX_CARDINAL,
    Phrase,
    account,
    date,
    digits,
    join,
    kwh,
    money,
    number,
    phone,
    plural_form,
    reading,
    time_of_day,
)


def spoken(p: Phrase) -> str:
    """What the fragments say, played one after another."""
    return " ".join(FRAGMENTS[f] for f in p.fragments)


def check(p: Phrase, text: str) -> None:
    assert p.text == text
    assert spoken(p) == text.replace(",", "")


# --- plural rule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "form"),
    [
        (0, "many"),
        (1, "one"),
        (2, "few"),
        (4, "few"),
        (5, "many"),
        (11, "many"),
        (12, "many"),
        (14, "many"),
        (21, "one"),
        (22, "few"),
        (25, "many"),
        (101, "one"),
        (111, "many"),
        (112, "many"),
        (1001, "one"),
        (-1, "one"),
        (-22, "few"),
    ],
)
def test_plural_form(n: int, form: str) -> None:
    assert plural_form(n, "one", "few", "many") == form


# --- numbers -------------------------------------------------------------------------------

NUMBERS = [
    (0, "ноль", "ноль", "ноль"),
    (1, "один", "одна", "одно"),
    (2, "два", "две", "два"),
    (5, "пять", "пять", "пять"),
    (11, "одиннадцать", "одиннадцать", "одиннадцать"),
    (12, "двенадцать", "двенадцать", "двенадцать"),
    (14, "четырнадцать", "четырнадцать", "четырнадцать"),
    (21, "двадцать один", "двадцать одна", "двадцать одно"),
    (22, "двадцать два", "двадцать две", "двадцать два"),
    (25, "двадцать пять", "двадцать пять", "двадцать пять"),
    (100, "сто", "сто", "сто"),
    (101, "сто один", "сто одна", "сто одно"),
    (111, "сто одиннадцать", "сто одиннадцать", "сто одиннадцать"),
    (1000, "одна тысяча", "одна тысяча", "одна тысяча"),
    (1001, "одна тысяча один", "одна тысяча одна", "одна тысяча одно"),
    (2000, "две тысячи", "две тысячи", "две тысячи"),
    (5000, "пять тысяч", "пять тысяч", "пять тысяч"),
    (21_000, "двадцать одна тысяча", "двадцать одна тысяча", "двадцать одна тысяча"),
    (1_000_000, "один миллион", "один миллион", "один миллион"),
    (2_000_000, "два миллиона", "два миллиона", "два миллиона"),
    (1_000_000_000, "один миллиард", "один миллиард", "один миллиард"),
    (
        2_002_002_002,
        "два миллиарда два миллиона две тысячи два",
        "два миллиарда два миллиона две тысячи две",
        "два миллиарда два миллиона две тысячи два",
    ),
    (
        999_999_999_999,
        "девятьсот девяносто девять миллиардов девятьсот девяносто девять миллионов "
        "девятьсот девяносто девять тысяч девятьсот девяносто девять",
        None,
        None,
    ),
    (1_000_000_000_000, "один триллион", None, None),
    (-5, "минус пять", "минус пять", "минус пять"),
    (-1, "минус один", "минус одна", "минус одно"),
    (-2_000, "минус две тысячи", None, None),
]


@pytest.mark.parametrize(("n", "m", "f", "n_"), NUMBERS)
def test_number(n: int, m: str, f: str | None, n_: str | None) -> None:
    check(number(n), m)
    check(number(n, "m"), m)
    if f is not None:
        check(number(n, "f"), f)
    if n_ is not None:
        check(number(n, "n"), n_)


def test_number_range() -> None:
    number(MAX_CARDINAL)
    number(-MAX_CARDINAL)
    for bad in (MAX_CARDINAL + 1, -MAX_CARDINAL - 1):
        with pytest.raises(ValueError, match="out of range"):
            number(bad)


@pytest.mark.parametrize("bad", [1.0, Decimal(1), "1", True, None])
def test_number_rejects_non_int(bad: Any) -> None:
    with pytest.raises(TypeError, match="needs an int"):
        number(bad)


def test_number_rejects_unknown_gender() -> None:
    with pytest.raises(ValueError, match="gender"):
        number(1, "x")  # type: ignore[arg-type]


# --- money ---------------------------------------------------------------------------------

MONEY = [
    ("0", "ноль рублей", "ноль рублей ноль копеек"),
    ("1", "один рубль", "один рубль ноль копеек"),
    ("2", "два рубля", "два рубля ноль копеек"),
    ("5", "пять рублей", None),
    ("11", "одиннадцать рублей", None),
    ("12", "двенадцать рублей", None),
    ("14", "четырнадцать рублей", None),
    ("21", "двадцать один рубль", None),
    ("22", "двадцать два рубля", None),
    ("25", "двадцать пять рублей", None),
    ("100", "сто рублей", "сто рублей ноль копеек"),
    ("101", "сто один рубль", None),
    ("111", "сто одиннадцать рублей", None),
    ("1000", "одна тысяча рублей", None),
    ("1001", "одна тысяча один рубль", None),
    ("2000", "две тысячи рублей", None),
    ("5000", "пять тысяч рублей", None),
    ("21000", "двадцать одна тысяча рублей", None),
    ("1000000", "один миллион рублей", None),
    ("2000000", "два миллиона рублей", None),
    ("1000000000", "один миллиард рублей", None),
    ("1234.56", "одна тысяча двести тридцать четыре рубля пятьдесят шесть копеек", None),
    ("1.01", "один рубль одна копейка", None),
    ("2.02", "два рубля две копейки", None),
    ("21.21", "двадцать один рубль двадцать одна копейка", None),
    ("22.22", "двадцать два рубля двадцать две копейки", None),
    ("11.11", "одиннадцать рублей одиннадцать копеек", None),
    ("0.01", "одна копейка", "одна копейка"),
    ("0.05", "пять копеек", "пять копеек"),
    ("0.21", "двадцать одна копейка", "двадцать одна копейка"),
    ("0.00", "ноль рублей", "ноль рублей ноль копеек"),
    ("1.00", "один рубль", "один рубль ноль копеек"),
    ("1.10", "один рубль десять копеек", None),
    ("1.500", "один рубль пятьдесят копеек", None),  # 1.500 == 1.50: two places by value
    ("1E+3", "одна тысяча рублей", None),
    ("-0.00", "ноль рублей", None),
]


@pytest.mark.parametrize(("amount", "plain", "with_zero"), MONEY)
def test_money(amount: str, plain: str, with_zero: str | None) -> None:
    check(money(Decimal(amount)), plain)
    if with_zero is not None:
        check(money(Decimal(amount), say_zero_kopecks=True), with_zero)


@pytest.mark.parametrize("bad", [1, 1.5, "1.50", None, True])
def test_money_rejects_non_decimal(bad: Any) -> None:
    with pytest.raises(TypeError, match="needs a Decimal"):
        money(bad)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("NaN", "finite"),
        ("sNaN", "finite"),
        ("Infinity", "finite"),
        ("-Infinity", "finite"),
        ("-0.01", "negative"),
        ("-5", "negative"),
        ("1.001", "more than 2 decimal places"),
        ("0.005", "more than 2 decimal places"),
        ("1.000000000000000000000000000000001", "more than 2 decimal places"),
        ("1E+15", "out of range"),
        ("1E+100000", "out of range"),
    ],
)
def test_money_rejects_invalid_amounts(bad: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        money(Decimal(bad))


# --- dates and times -----------------------------------------------------------------------

DATES = [
    (dt.date(2026, 11, 23), "двадцать третьего ноября", "две тысячи двадцать шестого года"),
    (dt.date(2026, 1, 1), "первого января", "две тысячи двадцать шестого года"),
    (dt.date(2025, 12, 31), "тридцать первого декабря", "две тысячи двадцать пятого года"),
    (dt.date(2024, 2, 29), "двадцать девятого февраля", "две тысячи двадцать четвёртого года"),
    (dt.date(2000, 3, 8), "восьмого марта", "двухтысячного года"),
    (dt.date(1999, 5, 9), "девятого мая", "тысяча девятьсот девяносто девятого года"),
    (dt.date(1900, 6, 12), "двенадцатого июня", "тысяча девятисотого года"),
    (dt.date(2100, 7, 20), "двадцатого июля", "две тысячи сотого года"),
    (dt.date(2011, 8, 11), "одиннадцатого августа", "две тысячи одиннадцатого года"),
    (dt.date(2040, 9, 30), "тридцатого сентября", "две тысячи сорокового года"),
    (dt.date(1, 10, 2), "второго октября", "первого года"),
    (dt.date(9999, 4, 3), "третьего апреля", "девять тысяч девятьсот девяносто девятого года"),
]


@pytest.mark.parametrize(("d", "day_month", "year"), DATES)
def test_date(d: dt.date, day_month: str, year: str) -> None:
    check(date(d), day_month)
    check(date(d, with_year=True), f"{day_month} {year}")


@pytest.mark.parametrize("bad", [dt.datetime(2026, 1, 1, 12, 0), "2026-01-01", None])
def test_date_rejects_non_dates(bad: Any) -> None:
    with pytest.raises(TypeError, match=r"datetime\.date"):
        date(bad)


TIMES = [
    (dt.time(0, 0), "ноль часов ровно"),
    (dt.time(0, 5), "ноль часов пять минут"),
    (dt.time(1, 1), "один час одна минута"),
    (dt.time(2, 2), "два часа две минуты"),
    (dt.time(5, 11), "пять часов одиннадцать минут"),
    (dt.time(10, 0), "десять часов ровно"),
    (dt.time(12, 0), "двенадцать часов ровно"),
    (dt.time(14, 35), "четырнадцать часов тридцать пять минут"),
    (dt.time(21, 21), "двадцать один час двадцать одна минута"),
    (dt.time(22, 22), "двадцать два часа двадцать две минуты"),
    (dt.time(23, 59, 59, 999_999), "двадцать три часа пятьдесят девять минут"),
    (dt.time(8, 14, tzinfo=dt.UTC), "восемь часов четырнадцать минут"),
]


@pytest.mark.parametrize(("t", "text"), TIMES)
def test_time_of_day(t: dt.time, text: str) -> None:
    check(time_of_day(t), text)


@pytest.mark.parametrize("bad", [dt.datetime(2026, 1, 1), "12:00", 720])
def test_time_of_day_rejects_non_times(bad: Any) -> None:
    with pytest.raises(TypeError, match=r"datetime\.time"):
        time_of_day(bad)


# --- kWh -----------------------------------------------------------------------------------

KWH = [
    (0, "ноль киловатт-часов"),
    (1, "один киловатт-час"),
    (2, "два киловатт-часа"),
    (5, "пять киловатт-часов"),
    (11, "одиннадцать киловатт-часов"),
    (21, "двадцать один киловатт-час"),
    (12_345, "двенадцать тысяч триста сорок пять киловатт-часов"),
    (Decimal("12"), "двенадцать киловатт-часов"),
    (Decimal("12.000"), "двенадцать киловатт-часов"),
    (Decimal("12.5"), "двенадцать целых пять десятых киловатт-часа"),
    (Decimal("12.50"), "двенадцать целых пять десятых киловатт-часа"),
    (Decimal("0.5"), "ноль целых пять десятых киловатт-часа"),
    (Decimal("1.1"), "одна целая одна десятая киловатт-часа"),
    (Decimal("2.02"), "две целых две сотых киловатт-часа"),
    (Decimal("21.21"), "двадцать одна целая двадцать одна сотая киловатт-часа"),
    (Decimal("5.125"), "пять целых сто двадцать пять тысячных киловатт-часа"),
    (Decimal("1.001"), "одна целая одна тысячная киловатт-часа"),
    (Decimal("0.010"), "ноль целых одна сотая киловатт-часа"),
    (Decimal("1000.75"), "одна тысяча целых семьдесят пять сотых киловатт-часа"),
]


@pytest.mark.parametrize(("value", "text"), KWH)
def test_kwh(value: Decimal | int, text: str) -> None:
    check(kwh(value), text)


@pytest.mark.parametrize("bad", [1.5, "12", True, None])
def test_kwh_rejects_other_types(bad: Any) -> None:
    with pytest.raises(TypeError, match="int or a Decimal"):
        kwh(bad)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (-1, "out of range"),
        (MAX_CARDINAL + 1, "out of range"),
        (Decimal("-0.5"), "negative"),
        (Decimal("NaN"), "finite"),
        (Decimal("Infinity"), "finite"),
        (Decimal("1.0005"), "more than 3 decimal places"),
        (Decimal("1E+20"), "out of range"),
    ],
)
def test_kwh_rejects_invalid_values(bad: Decimal | int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        kwh(bad)


# --- digits, readings, accounts, phones ----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("0", "ноль"),
        ("012", "ноль один два"),
        ("1234567890", "один два три четыре пять шесть семь восемь девять ноль"),
    ],
)
def test_digits(value: str, text: str) -> None:
    check(digits(value), text)


READINGS = [
    ("0", "ноль"),
    ("7", "семь"),
    ("05", "ноль пять"),
    ("123", "один два три"),
    ("1234", "один два, три четыре"),
    ("12345", "один два три, четыре пять"),
    ("012345", "ноль один два, три четыре пять"),
    ("0012345", "ноль ноль один, два три, четыре пять"),
    ("00123456", "ноль ноль один, два три четыре, пять шесть"),
    ("100000000", "один ноль ноль, ноль ноль ноль, ноль ноль ноль"),
    ("1234567890", "один два три, четыре пять шесть, семь восемь, девять ноль"),
]


@pytest.mark.parametrize(("value", "text"), READINGS)
def test_reading(value: str, text: str) -> None:
    check(reading(value), text)


ACCOUNTS = [
    ("0", "ноль"),
    ("42", "сорок два"),
    ("007", "ноль ноль семь"),
    ("1234", "двенадцать, тридцать четыре"),
    ("10203", "сто два, ноль три"),
    ("1234567890", "сто двадцать три, четыреста пятьдесят шесть, семьдесят восемь, девяносто"),
    (
        "012345678901",
        "ноль один два, триста сорок пять, шестьсот семьдесят восемь, девятьсот один",
    ),
    ("100200300400", "сто, двести, триста, четыреста"),
    ("000000000001", "ноль ноль ноль, ноль ноль ноль, ноль ноль ноль, ноль ноль один"),
    ("11111111111", "сто одиннадцать, сто одиннадцать, сто одиннадцать, одиннадцать"),
]


@pytest.mark.parametrize(("value", "text"), ACCOUNTS)
def test_account(value: str, text: str) -> None:
    check(account(value), text)


PHONES = [
    (
        "+79131234567",
        "плюс семь, девятьсот тринадцать, сто двадцать три, сорок пять, шестьдесят семь",
    ),
    (
        "8 800 555-35-35",
        "восемь, восемьсот, пятьсот пятьдесят пять, тридцать пять, тридцать пять",
    ),
    (
        "8 (394) 222-33-44",
        "восемь, триста девяносто четыре, двести двадцать два, тридцать три, сорок четыре",
    ),
    ("79131050500", "семь, девятьсот тринадцать, сто пять, ноль пять, ноль ноль"),
    (
        "+7 (495) 010-01-01",
        "плюс семь, четыреста девяносто пять, ноль один ноль, ноль один, ноль один",
    ),
    ("9131234567", "девятьсот тринадцать, сто двадцать три, сорок пять, шестьдесят семь"),
    ("112", "сто двенадцать"),
    ("01", "ноль один"),
    ("0", "ноль"),
    ("1234", "двенадцать, тридцать четыре"),
    ("2-23-45", "два, двадцать три, сорок пять"),
    ("22-33-44", "двадцать два, тридцать три, сорок четыре"),
    ("222-33-44", "двести двадцать два, тридцать три, сорок четыре"),
    (
        "+1 212 555 0199",  # other countries: generic grouping, the country code not singled out
        "плюс сто двадцать один, двадцать пять, пятьдесят пять, ноль один, девяносто девять",
    ),
    (
        "+8 800 555 35 35",  # a plus before 8 is not a Russian number: generic grouping
        "плюс восемьсот восемьдесят, ноль пять, пятьдесят пять, тридцать пять, тридцать пять",
    ),
]


@pytest.mark.parametrize(("value", "text"), PHONES)
def test_phone(value: str, text: str) -> None:
    check(phone(value), text)


@pytest.mark.parametrize(
    ("function", "bad", "message"),
    [
        (digits, "", "empty"),
        (digits, "12a", "only the digits"),
        (digits, "1 2", "only the digits"),
        (digits, "-1", "only the digits"),
        (digits, "١٢", "only the digits"),  # Arabic-Indic digits are str.isdigit() too
        (digits, "²", "only the digits"),
        (reading, "", "empty"),
        (reading, "12.5", "only the digits"),
        (reading, "12*5", "only the digits"),
        (reading, "1" * 33, "more than 32"),
        (account, "", "empty"),
        (account, "1234 5678", "only the digits"),
        (account, "+123", "only the digits"),
        (phone, "", "must be digits"),
        (phone, "+", "must be digits"),
        (phone, " - ", "must be digits"),
        (phone, "7+9131234567", "must be digits"),
        (phone, "++79131234567", "must be digits"),
        (phone, "8 800 555-35-35 доб. 1", "must be digits"),
        (phone, "8.800.555.35.35", "must be digits"),
        (phone, "1234567890123456", "more than 15"),
        (phone, "1" * 41, "more than 40"),
        (account, "x" * 10_000, "more than 32"),
    ],
)
def test_digit_strings_reject_invalid_input(function: Any, bad: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        function(bad)


@pytest.mark.parametrize("function", [digits, reading, account, phone])
def test_digit_strings_reject_non_str(function: Any) -> None:
    with pytest.raises(TypeError, match="needs a str"):
        function(12345)


# --- Phrase and the fragment inventory -----------------------------------------------------


def test_phrase_add_joins_with_a_space() -> None:
    total = money(Decimal("5")) + number(2, "f")
    check(total, "пять рублей две")
    assert total.fragments == money(Decimal("5")).fragments + number(2, "f").fragments
    empty = Phrase("", ())
    assert empty + total == total
    assert total + empty == total


def test_join_pauses_between_phrases() -> None:
    check(join([number(1), Phrase("", ()), date(dt.date(2026, 1, 1))]), "один, первого января")


def test_phrases_are_frozen_and_hashable() -> None:
    p = number(5)
    with pytest.raises(AttributeError):
        p.text = "шесть"  # type: ignore[misc]
    assert {p, number(5)} == {p}


def test_fragment_inventory_is_small_unique_and_file_safe() -> None:
    assert 100 <= len(FRAGMENTS) <= 300
    for fragment_id, text in FRAGMENTS.items():
        assert re.fullmatch(r"[a-z0-9_.]+", fragment_id), fragment_id
        # Words, lower case; the operator-hours words are a few to a fragment.
        assert re.fullmatch(r"[а-яё]+(-[а-яё]+)?( [а-яё]+)*", text), text
    assert len(set(FRAGMENTS.values())) == len(FRAGMENTS), "two ids for the same words"
    with pytest.raises(TypeError):
        FRAGMENTS["num.1"] = "два"  # type: ignore[index]


def test_every_fragment_is_used() -> None:
    """Nothing in the inventory is dead weight to render per voice."""
    used: set[str] = set()
    phrases: list[Phrase] = []
    for gender in ("m", "f", "n"):
        phrases += [number(n, gender) for n in range(1000)]
    for scale in range(1, 5):
        phrases += [number(k * 1000**scale) for k in (1, 2, 5)]
    phrases += [number(-1), phone("+79131234567"), time_of_day(dt.time(10, 0))]
    phrases += [date(dt.date(2024, 1, 1) + dt.timedelta(days=i)) for i in range(366)]
    phrases += [date(dt.date(y, 1, 1), with_year=True) for y in range(100, 10_000, 100)]
    phrases += [date(dt.date(y, 1, 1), with_year=True) for y in range(1, 100)]
    phrases += [time_of_day(dt.time(h, m)) for h in range(24) for m in range(60)]
    phrases += [money(Decimal(k).scaleb(-2)) for k in range(300)]
    phrases += [kwh(Decimal(v)) for v in ("0", "1", "2", "1.1", "2.2", "1.01", "2.02")]
    phrases += [kwh(Decimal(v)) for v in ("1.001", "2.002")]
    # The operator hours (hotline.speech.hours_ru): every clock time, weekday and word.
    clock = [dt.time(h, m) for h in range(24) for m in range(60)] + [dt.time.max]
    periods = [hours_ru.Period(t, dt.time.max) for t in clock] + [
        hours_ru.Period(dt.time(0), dt.time.max)
    ]
    days = [hours_ru.Day(offset, weekday) for offset in (0, 1, 2) for weekday in range(7)]
    phrases += [hours_ru.operator_hours(p, None) for p in periods]
    phrases += [hours_ru.operator_hours(None, (d, periods[0])) for d in days if d.offset]
    phrases += [hours_ru.callback_expected(d, t) for d in days for t in (dt.time(8),)]
    # The agreed callback windows: within the hour or N minutes, until/after noon.
    windows = [hours_ru.callback_window(days[0], "soon", None, slot_minutes=m) for m in (60, 30)]
    windows += [
        hours_ru.callback_window(d, s, dt.time(12)) for d in days for s in ("until", "after")
    ]
    phrases += [hours_ru.callback_agreed(w) for w in windows]
    for p in phrases:
        used.update(p.fragments)
    assert used == set(FRAGMENTS)


def test_import_loads_neither_pymorphy_nor_num2words() -> None:
    code = (
        "import sys, hotline.speech.russian; "
        "print(sorted(m for m in ('pymorphy3', 'num2words') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_public_api() -> None:
    assert set(russian.__all__) >= {
        "Phrase",
        "FRAGMENTS",
        "Gender",
        "plural_form",
        "number",
        "money",
        "date",
        "time_of_day",
        "kwh",
        "reading",
        "phone",
        "digits",
        "account",
    }
