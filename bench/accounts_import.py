"""Accounts import: parsing and checking a billing file, and writing it to SQLite, against
the floor of merely reading the same CSV with the standard csv module.

The file: ``--accounts`` accounts, every third with a second (two-zone) meter, in the
documented layout (samples/accounts.csv).  Measured, medians of ``--repeat`` runs in ms:

* baseline: csv.reader over the decoded text (no checks at all);
* parse + check (CSV): hotline.accounts.importer.parse_accounts;
* parse + check (XLSX): the same rows from an XLSX workbook (openpyxl, read-only);
* write, new accounts / write, updating them: AccountStore.upsert into a fresh SQLite file;
  the same two lines "(before)": the write as it was before issue 19 item 4
  (bench.accounts_legacy, ORM multi-row VALUES compiled per chunk), into another fresh file.

Last, each write as a multiple of parse + check (CSV): the goal is about 5x at most.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.accounts_legacy import legacy_upsert
from bench.common import machine_line, median
from hotline.accounts.importer import parse_accounts
from hotline.settings import load_settings
from hotline.store.accounts import AccountRecord, AccountStore
from hotline.store.db import Database

HEADER = "account;phones;name;address;meter;zones;reading_1;reading_2;balance;due_date"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accounts", type=int, default=20_000, help="accounts in the file")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement")


def _rows(count: int) -> list[list[str]]:
    rows = []
    for i in range(count):
        number = f"{200000000000 + i}"
        rows.append(
            [number, f"+7913{i:07d}", f"Абонент {i}", f"ул. {i}", f"M{i}", "1",
             str(1000 + i % 9000), "", f"{i % 5000},{i % 100:02d}", "25.12.2026"]
        )  # fmt: skip
        if i % 3 == 0:
            rows.append([number, "", "", "", f"N{i}", "2", str(i % 9000), str(i % 8000), "", ""])
    return rows


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return (time.perf_counter() - started) * 1000, result


async def _write(url: str, accounts: list[AccountRecord], *, legacy: bool) -> tuple[float, float]:
    async with Database(url) as db:
        await db.upgrade()
        store = AccountStore(db)
        times = []
        for _ in range(2):  # new accounts, then the same file again: every account updated
            started = time.perf_counter()
            if legacy:
                await legacy_upsert(db, accounts)
            else:
                await store.upsert(accounts)
            times.append((time.perf_counter() - started) * 1000)
        return times[0], times[1]


def run(options: argparse.Namespace) -> int:
    from openpyxl import Workbook

    print(f"machine: {machine_line()}")
    print(f"load average before the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    settings = load_settings(environ={})
    rows = _rows(options.accounts)
    print(f"accounts import: {options.accounts} accounts, {len(rows)} rows")
    names = ("baseline: csv.reader", "parse + check (CSV)", "parse + check (XLSX)",
             "write, new accounts", "write, updating them",
             "write, new (before)", "write, updating (before)")  # fmt: skip
    results: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="hotline-bench-accounts-") as temp:
        csv_path = Path(temp) / "accounts.csv"
        csv_path.write_text("\n".join([HEADER, *(";".join(r) for r in rows)]) + "\n", "utf-8")
        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(HEADER.split(";"))
        for row in rows:
            sheet.append(row)
        xlsx_path = Path(temp) / "accounts.xlsx"
        book.save(xlsx_path)
        text = csv_path.read_bytes().decode("utf-8")
        for run_index in range(options.repeat):
            ms, _ = _timed(lambda: list(csv.reader(io.StringIO(text), delimiter=";")))
            results[names[0]].append(ms)
            ms, parsed = _timed(
                lambda: parse_accounts(csv_path, settings.accounts, settings.readings)
            )
            assert not parsed.errors, parsed.errors[:3]
            results[names[1]].append(ms)
            ms, _ = _timed(lambda: parse_accounts(xlsx_path, settings.accounts, settings.readings))
            results[names[2]].append(ms)
            url = f"sqlite+aiosqlite:///{Path(temp) / f'run{run_index}.db'}"
            created, updated = asyncio.run(_write(url, parsed.accounts, legacy=False))
            results[names[3]].append(created)
            results[names[4]].append(updated)
            url = f"sqlite+aiosqlite:///{Path(temp) / f'before{run_index}.db'}"
            created, updated = asyncio.run(_write(url, parsed.accounts, legacy=True))
            results[names[5]].append(created)
            results[names[6]].append(updated)
    baseline = median(results[names[0]])
    print(f"{'':<26}{'median ms':>11}{'x baseline':>12}")
    for name, values in results.items():
        print(f"{name:<26}{median(values):>11.1f}{median(values) / baseline:>12.1f}")
    check = median(results[names[1]])
    for name in names[3:]:
        print(f"{name} / parse + check (CSV): x{median(results[name]) / check:.1f}")
    print(f"load average after the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0
