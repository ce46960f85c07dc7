"""The contact check's faster path (issue 19 item 4: one phone pattern, one layout per set of
columns, a parser per column chosen once) accepts and refuses exactly the rows the
phonenumbers-only path does, with the same reasons, over a generated list of 5,000 rows with
every phone spelling, odd columns, short and long rows, bad dates, amounts and zones."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

import pytest

from dialer.contacts import ImportReport, read_contacts
from dialer.model import SayKind, VariableError
from dialer.values import parse_value, value_parser
from hotline.core import phones
from tests.unit.test_rep_phone_fast_path import FOREIGN, SPELLINGS

ROWS = 5_000
HEADER = ["phone", "amount", "due_date", "timezone", "comment", "", "канал"]
VARIABLES = {"amount": SayKind.MONEY, "due_date": SayKind.DATE}
AMOUNTS = ("1234.50", "1 234,50", "0", "12,5", "-1", "1.005", "abc", "", "NaN", "1e30", " 7 ")
DATES = ("2026-12-10", "10.12.2026", "2026-02-30", "2026-1-5", "31.02.2026", "2026-12-10T10:00",
         "10/12/2026", "", "0000-01-01", "2026-12-100", "٢٠٢٦-12-10", "  2026-12-10 ")  # fmt: skip
ZONES = ("", "Europe/Moscow", "Asia/Krasnoyarsk", "Asia", "Mars/Base", "UTC")
CHANNELS = ("", "phone", "СМС", "email", "fax")


def _phone(pick: random.Random) -> str:
    if pick.random() < 0.05:
        return pick.choice(FOREIGN)
    if pick.random() < 0.02:
        return "+79131234567"  # duplicates
    if pick.random() < 0.6:  # mostly mobile numbers in the common spellings
        n = f"9{pick.randrange(10**9):09d}"
        return pick.choice(("+7{}", "8{}", "{}", "8 {}", "+7 {}")).format(n)
    n = f"{pick.randrange(100, 1000)}{pick.randrange(10**7):07d}"
    return pick.choice(SPELLINGS).format(
        n=n,
        a=n[:3],
        b=n[3:6],
        c=n[6:8],
        d=n[8:],
        n_short=n[:9],
        n_wide=n.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    )


def _odd(pick: random.Random, choices: tuple[str, ...]) -> str:
    """The first (good) value mostly, any of them one time in ten."""
    return pick.choice(choices) if pick.random() < 0.1 else choices[0]


def _write(path: Path) -> None:
    pick = random.Random(194)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        for i in range(ROWS):
            odd = [_odd(pick, AMOUNTS), _odd(pick, DATES), _odd(pick, ZONES)]
            extra = [pick.choice(("", "note", " ")), pick.choice(("", "x"))]
            row = [_phone(pick), *odd, *extra, _odd(pick, CHANNELS)]
            if i % 17 == 0:
                row = row[: pick.randrange(1, len(row))]  # a short row: fewer columns
            elif i % 29 == 0:
                row.append("spill")  # more cells than the header
            writer.writerow(row)


def _report(path: Path) -> ImportReport:
    return read_contacts(path, VARIABLES, region="RU", do_not_call=frozenset({"+79131234567"}))


def _outcome(report: ImportReport) -> tuple[object, ...]:
    return (report.rows, report.contacts, report.errors, report.duplicates, report.do_not_call)


def test_the_check_keeps_the_phonenumbers_only_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "contacts.csv"
    _write(path)
    fast = _report(path)
    assert len(fast.contacts) > ROWS // 3 and len(fast.errors) > ROWS // 10
    assert fast.duplicates and fast.do_not_call
    reasons = {p.column for p in fast.errors}
    assert {"phone", "amount", "due_date", "timezone"} <= reasons
    phones._fast_russian.cache_clear()
    monkeypatch.setattr(phones, "_fast_russian", lambda _text, _region: None)
    assert _outcome(_report(path)) == _outcome(fast)


def _strptime_date(raw: object) -> str:
    """The date check before the ISO fast path: strptime alone."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        raise VariableError("empty")
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text[:10], fmt).date().isoformat()
        except ValueError:
            continue
    raise VariableError(f"not a date (YYYY-MM-DD or DD.MM.YYYY): {text!r}")


def _result(parse: object, raw: object) -> str:
    try:
        return "ok " + parse(raw)  # type: ignore[operator]
    except VariableError as exc:
        return f"refused {exc}"


def test_the_iso_date_fast_path_reads_what_strptime_reads() -> None:
    pick = random.Random(19)
    spellings = [*DATES, "9999-12-31", "0001-01-01", "2024-02-29", "2025-02-29", "2026-13-01"]
    for _ in range(2000):
        y, m, d = pick.randrange(0, 10000), pick.randrange(0, 14), pick.randrange(0, 33)
        spellings.append(f"{y:04d}-{m:02d}-{d:02d}" + pick.choice(("", "x", " 10:00", "0")))
    parse = value_parser(SayKind.DATE)
    for text in spellings:
        assert _result(parse, text) == _result(_strptime_date, text), text
        assert _result(parse, text) == _result(lambda v: parse_value(SayKind.DATE, v), text)
