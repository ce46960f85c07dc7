"""``hotline accounts import|show`` and ``hotline readings export`` through the real command:
good files in CSV (UTF-8, cp1251) and XLSX, and malformed ones, whose row-level report comes
with an unchanged database."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from hotline.store.accounts import AccountStore, ReadingDraft, ReadingStore
from hotline.store.db import Database
from tests.cli_support import hermetic_store_url, run_hotline

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "accounts.csv"
HEADER = "account;phones;name;meter;zones;reading_1;reading_2;balance;due_date"
GOOD = [
    "100000000001;+7 913 123-45-67;Иванов;M1;1;12345;;1 234,56;25.12.2026",
    "100000000002;89137654321;Петрова;M2;2;20000;8000;-120,50;",
    "100000000002;;;M3;1;500;;;",
]


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def snapshot(url: str) -> list[tuple[str, str, int]]:
    async def work() -> list[tuple[str, str, int]]:
        async with Database(url) as db:
            await db.upgrade()
            store = AccountStore(db)
            rows = []
            for number in ("100000000001", "100000000002", "100000000003"):
                account = await store.get(number)
                if account is not None:
                    rows.append((number, str(account.balance), len(account.meters)))
            return rows

    return asyncio.run(work())


def test_good_csv_imports_and_shows(url: str, tmp_path: Path) -> None:
    code, out, err = run_hotline(
        url, "accounts", "import", str(write(tmp_path / "a.csv", [HEADER, *GOOD]))
    )
    assert (code, out) == (0, "3 rows: 2 accounts created, 0 updated\n"), err
    assert snapshot(url) == [("100000000001", "1234.56", 1), ("100000000002", "-120.50", 2)]
    code, out, _ = run_hotline(url, "accounts", "show", "100000000002")
    assert code == 0
    assert "Overpaid  120.50 RUB" in out and "79137654321" in out
    assert "Meter     M2: 2 zone(s), 6 digits, last 20000 / 8000" in out
    assert run_hotline(url, "accounts", "show", "999")[0] == 1


def test_sample_file_and_cp1251_import(url: str, tmp_path: Path) -> None:
    assert run_hotline(url, "accounts", "import", str(SAMPLE))[:2] == (
        0,
        "4 rows: 3 accounts created, 0 updated\n",
    )
    cp1251 = write(tmp_path / "win.csv", [HEADER, GOOD[0].replace("Иванов", "Ёжиков")], "cp1251")
    assert run_hotline(url, "accounts", "import", str(cp1251))[:2] == (
        0,
        "1 rows: 0 accounts created, 1 updated\n",
    )
    assert "Ёжиков" in run_hotline(url, "accounts", "show", "100000000001")[1]


def test_xlsx_import_and_lost_leading_zeros(url: str, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(";"))
    sheet.append(["100000000001", "79131234567", "Иванов", "M1", 1, 12345, None, 1234.56, None])
    sheet.append([12345678901, None, "Нули", "M9", 1, 1, None, 0, None])  # was 012345678901
    path = tmp_path / "a.xlsx"
    book.save(path)
    code, _out, err = run_hotline(url, "accounts", "import", str(path))
    assert code == 1
    assert "leading zeros lost" in err and "nothing imported" in err
    assert snapshot(url) == []
    code, out, _ = run_hotline(url, "accounts", "import", "--skip-bad", str(path))
    assert (code, out) == (
        0,
        "2 rows: 1 accounts created, 0 updated, 0 accounts and 1 rows with problems skipped\n",
    )
    assert snapshot(url) == [("100000000001", "1234.56", 1)]


@pytest.mark.parametrize(
    ("lines", "encoding", "expected"),
    [
        # Mixed encodings: UTF-8 rows and then a cp1251 one.
        ([HEADER, GOOD[0], "BAD"], "mixed", ["row 3", "not valid UTF-8", "mixes"]),
        # Required columns missing.
        (["account;name;meter", "100000000001;x;M1"], "utf-8", ["zones", "balance", "missing"]),
        # An unknown (misspelt) column.
        ([HEADER + ";readings_3", GOOD[0] + ";1"], "utf-8", ["readings_3", "unknown column"]),
        # The same meter twice, and an account whose rows disagree.
        (
            [
                HEADER,
                GOOD[0],
                GOOD[0],
                GOOD[1],
                GOOD[1].replace("-120,50", "5").replace("M2", "M4"),
            ],
            "utf-8",
            ["already on row 2", "differs from row 4"],
        ),
        # Bad numbers of every kind.
        (
            [
                HEADER,
                "10000000000A;x;Имя;M1;1;1;;0;",
                "100000000003;;Имя;M1;4;1;;0;",
                "100000000003;;Имя;M5;1;abc;;1,234;",
                "100000000003;;Имя;M6;1;1234567;;0;31.02.2026",
                "100000000003;12;Имя;M7;1;1;;12.345;",
            ],
            "utf-8",
            [
                "not a number",
                "out of range (1..3)",
                "'abc' is not a whole number",
                "more digits than the meter",
                "not a date",
                "'12' is not a phone number",
                "more than two decimal places",
            ],
        ),
    ],
    ids=["encoding", "missing-columns", "unknown-column", "duplicates", "bad-numbers"],
)
def test_malformed_files_report_rows_and_change_nothing(
    url: str, tmp_path: Path, lines: list[str], encoding: str, expected: list[str]
) -> None:
    assert run_hotline(url, "accounts", "import", str(SAMPLE))[0] == 0
    before = snapshot(url)
    path = tmp_path / "bad.csv"
    if encoding == "mixed":
        good = ("\n".join(lines[:-1]) + "\n").encode("utf-8")
        path.write_bytes(good + "100000000003;;Сидоров;M1;1;1;;0;\n".encode("cp1251"))
    else:
        write(path, lines, encoding)
    code, out, err = run_hotline(url, "accounts", "import", str(path))
    assert code == 1 and out == ""
    assert "nothing imported" in err
    for text in expected:
        assert text in err, err
    assert snapshot(url) == before


def test_readings_export_csv_and_xlsx(url: str, tmp_path: Path) -> None:
    async def seed() -> None:
        async with Database(url) as db:
            await db.upgrade()
            store = ReadingStore(db)
            await store.submit(
                ReadingDraft("c1", "100000000001", "M1", 1, "2026-11", 12400, 12345)
            )
            await store.submit(
                ReadingDraft(
                    "c1", "100000000001", "M1", 1, "2026-11", 12500, 12345, ("implausible",)
                )
            )
            await store.submit(
                ReadingDraft(
                    "c2", "100000000002", "M2", 2, "2026-12", 8050, 8000, ("next_period",)
                )
            )

    asyncio.run(seed())
    code, out, err = run_hotline(url, "readings", "export", "--period", "2026-11")
    # The Russian-Excel dialect (hotline.core.spreadsheets): BOM, ";", dd.mm.yyyy times.
    assert code == 0 and out.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(out.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0][:8] == [
        "account",
        "meter",
        "zone",
        "period",
        "value",
        "previous",
        "consumption",
        "flags",
    ]
    assert [r[:8] for r in rows[1:]] == [
        ["100000000001", "M1", "1", "2026-11", "12500", "12345", "155", "implausible"]
    ]
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d", rows[1][9])
    assert "1 readings exported, 1 flagged for review" in err
    target = tmp_path / "readings.xlsx"
    code, _out, err = run_hotline(url, "readings", "export", "--format", "xlsx", "-o", str(target))
    assert code == 0 and "2 readings exported, 1 flagged for review" in err
    sheet = load_workbook(target).worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert [v[:3] for v in values[1:]] == [["100000000001", "M1", 1], ["100000000002", "M2", 2]]
    assert run_hotline(url, "readings", "export", "--period", "2026-13")[0] == 2


def test_unreadable_files_are_refused(url: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    code, _out, err = run_hotline(url, "accounts", "import", str(broken))
    assert code == 1 and "not a readable XLSX workbook" in err
    other = tmp_path / "accounts.json"
    other.write_text("{}")
    code, _out, err = run_hotline(url, "accounts", "import", str(other))
    assert code == 1 and "expected a .csv or .xlsx file" in err
    assert run_hotline(url, "accounts", "import", str(tmp_path / "missing.csv"))[0] == 1
    assert snapshot(url) == []
