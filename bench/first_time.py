"""The IVR's first-time-caller lookup over a large call log (issue 19 item 1): every inbound
call asks ``CallLog.calls_from`` before the main menu.  Times it through the store as the
engine does, with ``ix_calls_caller`` (migration 0037) and without it, against a bare
``SELECT 1`` through the same store, in the same run, on a SQLite file of ``--calls`` rows."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.common import machine_line, median
from hotline.store.calllog import CallLog
from hotline.store.db import Database

INDEX = "ix_calls_caller"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--calls", type=int, default=1_000_000, help="rows in the call log")
    parser.add_argument("--callers", type=int, default=100_000, help="distinct numbers")
    parser.add_argument("--lookups", type=int, default=20, help="timed lookups per variant")


def _fill(path: Path, calls: int, callers: int) -> None:
    """Rows written straight through sqlite3 (the fill is not what is measured); started now,
    so the roll-up triggers mark nothing."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO calls (id, direction, uniqueid, caller, simulated, started_at) "
            "VALUES (?, 'inbound', ?, ?, 0, ?)",
            ((uuid.uuid4().hex, f"{n}.1", f"7913{n % callers:07d}", now) for n in range(calls)),
        )


async def _time(lookups: int, once: Callable[[int], Awaitable[Any]]) -> float:
    """Median ms of ``lookups`` calls."""
    times = []
    for n in range(lookups):
        started = time.perf_counter()
        await once(n)
        times.append((time.perf_counter() - started) * 1000)
    return median(times)


async def _measure(options: argparse.Namespace, path: Path) -> dict[str, float]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await db.upgrade()
        await asyncio.to_thread(_fill, path, options.calls, options.callers)
        log = CallLog(db)

        async def bare(_n: int) -> None:
            async with db.session() as session:
                await session.execute(text("SELECT 1"))

        async def lookup(n: int) -> int:
            # Half known numbers, half first-time callers.
            number = f"7913{n * 7919 % options.callers:07d}" if n % 2 else f"7999{n:07d}"
            return await log.calls_from(number, excluding="0.0")

        figures = {"bare": await _time(options.lookups, bare)}
        figures["indexed"] = await _time(options.lookups, lookup)
        async with db.session() as session:
            await session.execute(text(f"DROP INDEX {INDEX}"))
        figures["scan"] = await _time(max(3, options.lookups // 4), lookup)
        return figures
    finally:
        await db.dispose()


def run(options: argparse.Namespace) -> int:
    print(f"machine: {machine_line()}")
    with tempfile.TemporaryDirectory(prefix="hotline-bench-first-time-") as temp:
        figures = asyncio.run(_measure(options, Path(temp) / "calls.db"))
    bare = figures["bare"]
    print(f"first-time-caller lookup over {options.calls:,} calls, median ms (SQLite):")
    print(f"  bare SELECT 1 through the store      {bare:8.2f}")
    for name, label in (("indexed", f"with {INDEX}"), ("scan", "without it (a scan)")):
        print(f"  calls_from {label:<26}{figures[name]:8.2f}  x{figures[name] / bare:.1f} bare")
    print(f"  index: x{figures['scan'] / figures['indexed']:.0f} faster")
    return 0
