"""Exports streamed row by row (issue 19 item 3) against the old all-in-memory way, in the same
run, on a SQLite file: the appeal register and the current meter readings, each as CSV and
XLSX, at each of ``--sizes`` rows.

* streamed: the store's keyset pages (``Appeals.pages`` / ``ReadingStore.current_pages``)
  through ``csv_stream`` / ``xlsx_stream`` into a file, as the console and the CLI do now;
* old: every row loaded at once (the register's list without its 10,000 cap, ``current()``),
  one ``Sheet`` built, ``to_csv`` / ``to_xlsx`` into bytes, written.

Printed per export: wall time and the process's CPU time (best of ``--repeat``; on a shared
machine the CPU time is the steadier figure), and the peak of Python memory while it ran
(tracemalloc follows every thread; measured in a run of its own, since tracing slows each
allocation down).  Flat memory means the streamed peak stays the same from the smaller size
to the larger while the old one grows with the rows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from bench.common import machine_line
from hotline.appeals.register import Appeals, Viewer
from hotline.appeals.report import register_sheet, register_stream
from hotline.cli.readings_cmd import HEADER as READING_COLUMNS
from hotline.cli.readings_cmd import reading_row
from hotline.core.spreadsheets import Sheet, SheetStream, csv_stream, to_csv, to_xlsx, xlsx_stream
from hotline.settings import AppealSettings
from hotline.store.appeals import AppealFilter, _record
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.enums import AppealChannel, AppealStatus, ReplyChannel
from hotline.store.models import Appeal, Reading

START: Final = datetime(2026, 5, 8, 5, 0, tzinfo=UTC)
ZONE: Final = ZoneInfo("Asia/Krasnoyarsk")
FILL_BATCH: Final = 5_000
Export = Callable[[Database, Path, str], Awaitable[None]]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes", default="20000,100000", help="rows per table, comma-separated (default both)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per figure (best)")
    parser.add_argument("--no-old", action="store_true", help="skip the all-in-memory exports")
    parser.add_argument("--no-xlsx", action="store_true", help="CSV only")
    parser.add_argument(
        "--tables", default="appeals,readings", help="which exports, comma-separated"
    )


def appeal_row(seq: int) -> dict[str, Any]:
    """An appeal as the register stores it: 2026-<seq>, registered ``seq`` seconds after
    START (also the tests' filler)."""
    return {
        "number": f"2026-{seq:06d}",
        "year": 2026,
        "seq": seq,
        "channel": AppealChannel.EMAIL,
        "status": AppealStatus.REGISTERED,
        "category": "complaint",
        "topic": "quality",
        "subject": f"Тема {seq}",
        "text": "Каждый вечер мигает свет",
        "urgency": "normal",
        "unit": "network",
        "phone": "+79001234567",
        "customer_name": "Иванов Иван",
        "reply_channel": ReplyChannel.EMAIL,
        "reply_address": "ivanov@example.ru",
        "registered_at": START + timedelta(seconds=seq),
        "registered_by": "seed",
        "deadline": date(2026, 5, 13),
    }


def _reading_row(seq: int) -> dict[str, Any]:
    return {
        "call_id": f"c{seq}",
        "account_number": f"{200000000000 + seq}",
        "meter_id": f"M{seq}",
        "zone": 1,
        "period": "2026-05",
        "value": 1000 + seq,
        "previous": 900 + seq,
        "consumption": 100,
        "flags": "implausible" if seq % 50 == 0 else "",
        "needs_review": seq % 50 == 0,
        "taken_at": START + timedelta(seconds=seq),
    }


Maker = Callable[[int], dict[str, Any]]


async def fill(db: Database, model: Any, make: Maker, count: int) -> None:
    """Rows 1..count of ``model``, one core INSERT per batch."""
    for first in range(1, count + 1, FILL_BATCH):
        rows = [make(seq) for seq in range(first, min(first + FILL_BATCH, count + 1))]
        async with db.session() as session:
            await session.execute(insert(model), rows)


async def fill_appeals(db: Database, count: int) -> None:
    await fill(db, Appeal, appeal_row, count)


def _register(db: Database) -> Appeals:
    return Appeals(db, AppealSettings(), "Asia/Krasnoyarsk")


VIEWER: Final = Viewer(Actor("bench", "cli"), personal_data=True, trust=True)


async def _write(stream: AsyncIterator[bytes], target: Path) -> None:
    with await asyncio.to_thread(target.open, "wb") as out:
        async for piece in stream:
            await asyncio.to_thread(out.write, piece)


def _stream(fmt: str, sheets: list[SheetStream]) -> AsyncIterator[bytes]:
    return csv_stream(sheets) if fmt == "csv" else xlsx_stream(sheets)


async def _write_whole(sheets: list[Sheet], fmt: str, target: Path) -> None:
    body = to_csv(sheets) if fmt == "csv" else await asyncio.to_thread(to_xlsx, sheets)
    await asyncio.to_thread(target.write_bytes, body)


async def appeals_streamed(db: Database, target: Path, fmt: str) -> None:
    pages = _register(db).pages(AppealFilter(), VIEWER)
    await _write(_stream(fmt, [register_stream(pages)]), target)


async def appeals_old(db: Database, target: Path, fmt: str) -> None:
    """The register's list without its cap: every appeal an ORM object, then one sheet."""
    async with db.session() as session:
        rows = list(await session.scalars(select(Appeal).order_by(Appeal.id.desc())))
    await _write_whole([register_sheet([_record(row) for row in rows])], fmt, target)


async def readings_streamed(db: Database, target: Path, fmt: str) -> None:
    from hotline.store.accounts import ReadingStore

    async def rows() -> AsyncIterator[list[tuple[Any, ...]]]:
        async for page in ReadingStore(db).current_pages():
            yield [reading_row(r, ZONE) for r in page]

    await _write(_stream(fmt, [SheetStream("readings", READING_COLUMNS, rows())]), target)


async def readings_old(db: Database, target: Path, fmt: str) -> None:
    from hotline.store.accounts import ReadingStore

    readings = await ReadingStore(db).current()
    sheet = Sheet("readings", READING_COLUMNS, tuple(reading_row(r, ZONE) for r in readings))
    await _write_whole([sheet], fmt, target)


async def _measure(export: Export, db: Database, target: Path, fmt: str, repeat: int) -> str:
    best = cpu = float("inf")
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        await export(db, target, fmt)
        best = min(best, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - cpu_started)
    size = (await asyncio.to_thread(target.stat)).st_size
    tracemalloc.start()
    await export(db, target, fmt)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (
        f"{best:7.2f} s  (CPU {cpu:6.2f} s)  peak {peak / 2**20:7.1f} MiB  "
        f"({size / 2**20:.1f} MiB file)"
    )


async def _run(options: argparse.Namespace) -> None:
    sizes = [int(size) for size in options.sizes.split(",")]
    formats = ("csv",) if options.no_xlsx else ("csv", "xlsx")
    tables: tuple[tuple[str, Any, Maker, Export, Export], ...] = (
        ("appeals", Appeal, appeal_row, appeals_streamed, appeals_old),
        ("readings", Reading, _reading_row, readings_streamed, readings_old),
    )
    with tempfile.TemporaryDirectory(prefix="hotline-bench-exports-") as temp:
        for size in sizes:
            path = Path(temp) / f"exports-{size}.db"
            async with Database(f"sqlite+aiosqlite:///{path}") as db:
                await db.upgrade()
                for name, model, make, streamed, old in tables:
                    if name not in options.tables.split(","):
                        continue
                    await fill(db, model, make, size)
                    for fmt in formats:
                        target = Path(temp) / f"{name}.{fmt}"
                        figure = await _measure(streamed, db, target, fmt, options.repeat)
                        print(f"{name:9} {size:>8} rows {fmt:4} streamed {figure}", flush=True)
                        if not options.no_old:
                            figure = await _measure(old, db, target, fmt, options.repeat)
                            print(f"{name:9} {size:>8} rows {fmt:4} old      {figure}", flush=True)
            await asyncio.to_thread(os.unlink, path)


def run(options: argparse.Namespace) -> int:
    print(f"machine: {machine_line()}")
    print(f"exports: load average {os.getloadavg()[0]:.1f} at the start")
    asyncio.run(_run(options))
    print(f"exports: load average {os.getloadavg()[0]:.1f} at the end")
    return 0
