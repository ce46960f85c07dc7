"""The fast path for common Russian spellings accepts and refuses exactly the numbers plain
phonenumbers does, with the same E.164 form and the same reason (issue 19, item 4)."""

from __future__ import annotations

import random

import pytest

from hotline.core import phones
from hotline.core.phones import _fast_russian, _normalise_slow, normalise_phone


def _outcome(check: object, text: str, region: str) -> str:
    try:
        return "ok " + check(text, region)  # type: ignore[operator]
    except ValueError as exc:
        return f"refused {exc}"


def _plain(text: str, region: str) -> str:
    """What ``normalise_phone`` was: phonenumbers alone."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("empty")
    return _normalise_slow(stripped, region)


SPELLINGS = (
    "+7{n}",
    "+7 {a} {b}-{c}-{d}",
    "+7 ({a}) {b}-{c}-{d}",
    "8{n}",
    "8 ({a}) {b} {c} {d}",
    "8-{a}-{b}-{c}-{d}",
    "{n}",
    "7{n}",
    "({a}) {b}-{c}{d}",
    " +7{n} ",
    "+7-{n}-",
    "((+7)){n}",
    "+7{n} доб. 12",
    "+7{n} ext 12",
    "+7{n};ext=12",
    "8{n}#1",
    "+7 {a} ABC-{c}-{d}",
    "+7{a}abc{d}",
    "+7{n}0",
    "+7{n_short}",
    "8{n_short}",
    "{n_short}",
    "+77{n}",
    "++7{n}",
    "+7.{a}.{b}.{c}.{d}",
    "+7/{a}/{b}{c}{d}",
    "+7\t{n}",
    "＋７{n}",
    "+7{n_wide}",
    "8 0{n_short}",
    "+70{n_short}",
    "{n}{n}",
)
FOREIGN = (
    "+380441234567",
    "+1 202 555 0143",
    "+375 29 123-45-67",
    "+996 555 123 456",
    "+44 20 7946 0958",
    "+7",
    "8",
    "12345",
    "112",
    "01",
    "+",
    "-",
    "()",
    "телефон",
    "8 800 ДОМ-РУ",
    "+7 913 123 45 67 89",
)


def _cases() -> list[tuple[str, str]]:
    pick = random.Random(19)
    cases: list[tuple[str, str]] = []
    # Every first three digits of a national number, with random rest, in every spelling.
    for first in range(100, 1000):
        for _ in range(2):
            n = f"{first}{pick.randrange(10**7):07d}"
            spelling = pick.choice(SPELLINGS)
            text = spelling.format(
                n=n,
                a=n[:3],
                b=n[3:6],
                c=n[6:8],
                d=n[8:],
                n_short=n[:9],
                n_wide=n.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            )
            cases.append((text, pick.choice(("RU", "RU", "RU", "KZ", "US"))))
    # The mobile ranges in depth: the first seven digits decide in places (930 0...).
    for _ in range(3000):
        n = f"9{pick.randrange(10**9):09d}"
        if pick.random() < 0.3:
            n = f"9300{pick.randrange(10**6):06d}"
        cases.append((pick.choice(("+7{}", "8{}", "{}", "8 {}")).format(n), "RU"))
    cases.extend((text, region) for text in FOREIGN for region in ("RU", "KZ", "US"))
    return cases


CASES = _cases()


def test_the_cases_cover_both_outcomes_and_both_paths() -> None:
    fast = sum(_fast_russian(text.strip(), region) is not None for text, region in CASES)
    refused = sum(_outcome(_plain, *case).startswith("refused") for case in CASES)
    assert fast > len(CASES) // 3
    assert refused > len(CASES) // 10


@pytest.mark.parametrize("chunk", range(4))
def test_fast_path_accepts_and_refuses_exactly_as_phonenumbers(chunk: int) -> None:
    phones._fast_russian.cache_clear()
    part = CASES[chunk::4]
    differ = [
        (text, region, _outcome(normalise_phone, text, region), _outcome(_plain, text, region))
        for text, region in part
        if _outcome(normalise_phone, text, region) != _outcome(_plain, text, region)
    ]
    assert differ == []


def test_fast_path_is_taken_for_common_spellings() -> None:
    for text in ("+79131234567", "8 (913) 123-45-67", "9131234567", "+7 800 100-00-00"):
        assert _fast_russian(text, "RU") is not None, text
    assert _fast_russian("+7 913 123 45 67 доб. 1", "RU") is None
