"""Attacks on files and exports (issue 14, items 5 and 6; review M5, S7, L2, L7).

A meter name from the billing import that is a formula comes out of ``hotline readings
export`` as text, in XLSX and CSV."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hotline.store.accounts import ReadingDraft, ReadingStore
from hotline.store.db import Database
from tests.cli_support import hermetic_store_url, run_hotline

FORMULA = '=HYPERLINK("http://x","y")'
ACCOUNT = "100000000001"


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


def test_formula_meter_name_is_exported_as_text(url: str, tmp_path: Path) -> None:
    quoted = '"' + FORMULA.replace('"', '""') + '"'
    billing = tmp_path / "billing.csv"
    billing.write_text(
        "account;phones;name;meter;zones;reading_1;reading_2;balance;due_date\n"
        f"{ACCOUNT};+79131234567;=1+1;{quoted};1;12345;;0;\n",
        encoding="utf-8",
    )
    code, out, err = run_hotline(url, "accounts", "import", str(billing))
    assert code == 0, out + err

    async def reading() -> None:
        async with Database(url) as db:
            await ReadingStore(db).submit(
                ReadingDraft("c1", ACCOUNT, FORMULA, 1, "2026-11", 12400, 12345)
            )

    asyncio.run(reading())

    target = tmp_path / "readings.xlsx"
    code, _out, err = run_hotline(url, "readings", "export", "--format", "xlsx", "-o", str(target))
    assert code == 0, err
    sheet = load_workbook(target).worksheets[0]
    meter = sheet["B2"]
    assert (meter.value, meter.data_type) == (FORMULA, "s")
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]

    code, out, err = run_hotline(url, "readings", "export", "--format", "csv")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out.removeprefix("\ufeff")), delimiter=";"))
    assert rows[1][1] == "'" + FORMULA
    assert rows[1][4] == "12400"  # the reading itself stays a number
