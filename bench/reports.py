"""Reports over a million rows (issue 19 item 3): each report timed against a bare
``SELECT count(*)`` over the table it reads, in the same run, on SQLite (and on PostgreSQL
when PG_TEST_URL is set).

The data: ``--rows`` dial attempts of one campaign (a third as many contacts), as many call
events (``--rows`` / 4 inbound calls over 30 days, each walking the menu: node, prompt,
digits, node), as many queue events (join, connect, complete, leave for every call) and as
many current meter readings; PostgreSQL ``--pg-rows`` of each.  The SQLite file is built
once and kept under ``var/bench/`` (``--rebuild`` builds it again); each run works on a copy
and keeps it, rolled, as ``...-rolled.db``, which the next run starts from (its roll-up jobs
then have nothing to do; ``--roll-again`` starts from the file as filled, to time the jobs;
``--no-keep`` keeps nothing).  PostgreSQL keeps its filled database the same way
(``--no-keep`` empties it after the run).

Printed per report: best of ``--repeat`` runs in ms, and the ratio to ``count(*)``:

* campaign report (counts from roll-ups, the GROUP BY before them, the chart) and the readings
  export (first 2,000 rows, whole export, memory): ``bench/reports_campaign.py``;
* IVR report (SQL) — ``hotline.calls.ivr_figures.ivr_figures`` over the whole period, then
  the console's IVR page (days and chart by day) with the series folded from quarter-hours
  in Python and summed per local day in SQL (``slots``);
* queue report — from the events alone (``queue_queries.queue_figures``, once; ``--no-old``
  skips it), the queue roll-up job over every bucket (batches of ``[rollups] batch``), then
  ``hotline.contact_center.queue_report.build_report`` (roll-ups + the rest), its figures
  alone (``queue_rollups.report_figures``) and a period starting mid-bucket, then the KPIs
  summed in SQL with no list of calls (``build_report(calls=False)``: whole period,
  mid-bucket, a department) (``--no-queue`` skips all of it);
* the campaign report's full CSV export, streamed: time, size, and the peak of Python memory
  while streaming it (tracemalloc, a run of its own);
* before: the IVR report from loaded call records (``ivr_stats``; ``--no-old`` skips).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.common import machine_line
from bench.dialer import NOW, OPEN, SCENARIO
from bench.reports_campaign import (
    _best,
    measure_campaign,
    measure_readings,
    pg_filled,
    reading_rows,
)
from hotline.store.db import Database
from hotline.store.models import (
    Call,
    CallEvent,
    CampaignTarget,
    DialAttempt,
    QueueEvent,
    Reading,
)

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
MIGRATIONS = ROOT / "hotline" / "store" / "migrations" / "versions"
CHUNK = 20_000
START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 30
REASONS = ("delivered", "busy", "no_answer", "hung_up_early", "failed", "invalid_number")
OUTCOMES = ("completed", "operator", "abandoned", "fallback", None)
NODES = ("main", "balance", "readings", "outages", "operator")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in each table")
    parser.add_argument("--pg-rows", type=int, default=200_000, help="the same on PostgreSQL")
    parser.add_argument("--roll-again", action="store_true", help="time the jobs from scratch")
    parser.add_argument("--no-keep", action="store_true", help="keep no filled/rolled data")
    parser.add_argument("--no-campaign", action="store_true", help="skip the campaign report")
    parser.add_argument("--no-readings", action="store_true", help="skip the readings export")
    parser.add_argument("--no-export", action="store_true", help="skip the campaign's CSV")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best taken)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached SQLite file")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--no-queue", action="store_true", help="skip the queue report")
    parser.add_argument("--no-ivr", action="store_true", help="skip the IVR report")
    parser.add_argument("--no-old", action="store_true", help="skip the 'before' figures")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:10.1f} ms"


def _native(sqlite: bool, value: Any) -> Any:
    """A value as the driver takes it (what the column types would bind)."""
    if isinstance(value, datetime):
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else utc
    if isinstance(value, dict):
        if sqlite:
            return json.dumps(value)
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    if isinstance(value, bool) and sqlite:
        return int(value)
    return value


async def _insert(
    db: Database, table: Any, rows: Callable[[int, int], list[dict[str, Any]]], n: int
) -> None:
    """Bulk insert through the driver's executemany in chunks (no statement compiled per
    chunk, no type processing): what ``--rows 1000000`` needs to fill in minutes."""
    sqlite = db.is_sqlite
    async with db.engine.begin() as conn:
        for first in range(0, n, CHUNK):
            chunk = rows(first, min(first + CHUNK, n))
            columns = list(chunk[0])
            marks = ", ".join("?" if sqlite else "%s" for _ in columns)
            statement = (
                f"INSERT INTO {table.__tablename__} ({', '.join(columns)}) VALUES ({marks})"
            )
            values = [tuple(_native(sqlite, row[c]) for c in columns) for row in chunk]
            await conn.exec_driver_sql(statement, values)


def _migration(name: str) -> Any:
    path = MIGRATIONS / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rollup_triggers(sqlite: bool, on: bool) -> list[str]:
    """The roll-ups' marking triggers (migrations 0031 and 0035) off for the fill and on
    again: a fresh database has no rolled bucket to mark, and the jobs roll every bucket."""
    if not sqlite:
        verb = "ENABLE" if on else "DISABLE"
        return [
            f"ALTER TABLE calls {verb} TRIGGER ivr_rollup_calls",
            f"ALTER TABLE call_events {verb} TRIGGER ivr_rollup_call_events",
            f"ALTER TABLE calls {verb} TRIGGER queue_rollup_calls",
            f"ALTER TABLE call_events {verb} TRIGGER queue_rollup_call_events",
            f"ALTER TABLE queue_events {verb} TRIGGER queue_rollup_queue_events",
            f"ALTER TABLE dial_attempts {verb} TRIGGER attempt_rollup_attempts",
        ]
    queue = _migration("0036_queue_rollups")
    attempts = _migration("0041_rep2_attempt_rollups")
    if on:
        statements: list[str] = _migration("0031_reports2_ivr_rollups")._sqlite_triggers()
        return statements + list(queue.sqlite_triggers()) + list(attempts.sqlite_triggers())
    return [
        f"DROP TRIGGER IF EXISTS ivr_rollup_{table}_{op}"
        for table in ("calls", "call_events")
        for op in ("insert", "update", "delete")
    ] + [
        f"DROP TRIGGER IF EXISTS {name}"
        for name in (*queue.sqlite_trigger_names(), *attempts.sqlite_trigger_names())
    ]


async def _fill(db: Database, rows: int) -> None:
    await db.upgrade()
    async with db.engine.begin() as conn:
        for statement in _rollup_triggers(db.is_sqlite, on=False):
            await conn.exec_driver_sql(statement)
    await _fill_tables(db, rows)
    async with db.engine.begin() as conn:
        for statement in _rollup_triggers(db.is_sqlite, on=True):
            await conn.exec_driver_sql(statement)


async def _fill_tables(db: Database, rows: int) -> None:
    from dialer.repository import DialerStore

    store = DialerStore(db)
    version = await store.add_scenario("r", SCENARIO, "bench", NOW)
    campaign = await store.create_campaign("r", version.id, OPEN, "bench", NOW)
    targets = max(rows // 3, 1)
    await _insert(
        db,
        CampaignTarget,
        lambda a, b: [
            {
                "campaign_id": campaign.id,
                "contact_id": None,
                "row": i,
                "phone": f"+7913{i:07d}",
                "timezone": "Europe/Moscow",
                "variables": {},
                "state": "done",
                "result": "positive" if i % 3 == 0 else "negative",
                "reason": REASONS[i % len(REASONS)],
                "attempts": 3,
                "channel": "phone",
            }
            for i in range(a, b)
        ],
        targets,
    )
    async with db.engine.connect() as conn:
        first_id = (await conn.execute(text("SELECT min(id) FROM campaign_targets"))).scalar_one()
    await _insert(
        db,
        DialAttempt,
        lambda a, b: [
            {
                "id": f"{i:032x}",
                "campaign_id": campaign.id,
                "target_id": first_id + i % targets,
                "number": 1 + i // targets,
                "phone": f"+7913{i % targets:07d}",
                "status": "ended",
                # One a second from START: all in the past, so the job rolls them all.
                "created_at": START + timedelta(seconds=i),
                "result": "negative",
                "reason": REASONS[(i * 7) % len(REASONS)],
            }
            for i in range(a, b)
        ],
        rows,
    )
    calls = max(rows // 4, 1)
    step = DAYS * 86400 / calls

    def started(i: int) -> datetime:
        return START + timedelta(seconds=i * step)

    await _insert(
        db,
        Call,
        lambda a, b: [
            {
                "id": f"{i:032x}",
                "direction": "inbound",
                "uniqueid": f"1700000000.{i}",
                "simulated": False,
                "started_at": started(i),
                "ended_at": started(i) + timedelta(seconds=60 + i % 240),
                "outcome": OUTCOMES[i % len(OUTCOMES)],
                "operator_reason": "readings" if i % 5 == 1 else None,
            }
            for i in range(a, b)
        ],
        calls,
    )

    def call_events(a: int, b: int) -> list[dict[str, Any]]:
        out = []
        for e in range(a, b):
            i, k = divmod(e, 4)
            kind, value = (
                ("node", "main"),
                ("prompt", "menu.main"),
                ("digits", str(1 + i % 4)),
                ("node", NODES[1 + i % 4]),
            )[k]
            at = started(i) + timedelta(seconds=1 + 5 * k, microseconds=i % 1000)
            out.append({"call_id": f"{i:032x}", "at": at, "kind": kind, "value": value})
        return out

    await _insert(db, CallEvent, call_events, rows)

    def queue_events(a: int, b: int) -> list[dict[str, Any]]:
        out = []
        for e in range(a, b):
            i, k = divmod(e, 4)
            kind = ("join", "connect", "complete", "leave")[k]
            at = started(i) + timedelta(seconds=30 + 20 * k + i % 50)
            out.append(
                {
                    "at": at,
                    "kind": kind,
                    "uniqueid": f"1700000000.{i}",
                    "queue": "operators",
                    "member": "PJSIP/op1" if k else None,
                    "talk": 60 + i % 200 if kind == "complete" else None,
                }
            )
        return out

    await _insert(db, QueueEvent, queue_events, rows)
    await _insert(db, Reading, reading_rows, rows)


async def _fill_and_close(url: str, rows: int) -> None:
    db = Database(url)
    try:
        await _fill(db, rows)
    finally:
        await db.dispose()  # SQLite: the WAL checkpointed into the file


async def _count(db: Database, table: str) -> None:
    async with db.engine.connect() as conn:
        await conn.execute(text(f"SELECT count(*) FROM {table}"))


def _load() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


async def _measure(url: str, label: str, rows: int, options: argparse.Namespace) -> None:
    from hotline.calls.ivr_figures import ivr_figures
    from hotline.calls.ivr_stats import ivr_stats
    from hotline.store.calllog import CallLog
    from hotline.store.ivr_queries import ivr_aggregates
    from hotline.store.ivr_rollups import roll_up

    db = Database(url)
    await db.upgrade()
    end = START + timedelta(days=DAYS + 1)
    print(f"reports over {rows:,} rows per table on {label}, load average {_load()}")
    print(f"{'':<36}{'best':>13}{'x count(*)':>12}")

    def line(name: str, seconds: float, baseline: float, note: str = "") -> None:
        print(f"  {name:<34}{_ms(seconds)}{seconds / baseline:>11.1f}x  {note}", flush=True)

    if not options.no_campaign:
        await measure_campaign(db, options.repeat, line, export=not options.no_export)
    if not options.no_ivr:
        events = await _best(options.repeat, lambda: _count(db, "call_events"))
        line("count(*) call_events", events, events)
        raw = await _best(1, lambda: ivr_aggregates(db, START, end))
        line("IVR report from events alone", raw, events)
        started = time.perf_counter()
        rolled = await roll_up(db, datetime.now(UTC), limit=10**7)
        took = time.perf_counter() - started
        line("IVR roll-up job, every bucket", took, events, f"({rolled:,})")
        ivr = await _best(options.repeat, lambda: ivr_figures(db, START, end))
        line("IVR report (roll-ups + tail)", ivr, events, "(goal < 1 s)")
        mid = START + timedelta(minutes=7, seconds=30)  # partial buckets at both ends
        edge = await _best(options.repeat, lambda: ivr_figures(db, mid, end - timedelta(hours=1)))
        line("IVR report, mid-bucket period", edge, events, "(goal < 1 s)")
        await _measure_ivr_page(db, end, options.repeat, events, line)
    if not options.no_queue:
        await _measure_queue(db, end, options, line)
    if not options.no_readings:
        await measure_readings(db, options.repeat, line)
    if not options.no_old and not options.no_ivr:

        async def old_ivr() -> None:
            records = await CallLog(db).between(START, end, limit=10**9)
            ivr_stats(records)

        before = await _best(1, old_ivr)
        line("before: IVR report from records", before, events)
    await db.dispose()


async def _measure_ivr_page(
    db: Database,
    end: datetime,
    repeat: int,
    events: float,
    line: Callable[[str, float, float, str], None],
) -> None:
    """The console's IVR page over the month (its days and its chart by day): the series
    folded in Python from quarter-hours against summed per local day in SQL."""
    from zoneinfo import ZoneInfo

    from hotline.calls.ivr_figures import ivr_figures
    from hotline.store.rollup_buckets import Slots
    from hotline.web.charts import Step, floor

    zone = ZoneInfo("Europe/Moscow")

    async def page(slots: Slots | None) -> None:
        figures = await ivr_figures(db, START, end, slots=slots)
        figures.by_day(zone)
        figures.tallies(lambda at: floor(at, zone, Step.DAY))

    folded = await _best(repeat, lambda: page(None))
    line("IVR page, quarter-hours folded", folded, events, "(days and chart, Python)")
    summed = await _best(repeat, lambda: page(Slots(zone, 86400)))
    line("IVR page, series summed in SQL", summed, events, "(goal < 1 s)")


async def _measure_queue(
    db: Database,
    end: datetime,
    options: argparse.Namespace,
    line: Callable[[str, float, float, str], None],
) -> None:
    from hotline.contact_center.queue_report import build_report
    from hotline.settings import load_settings
    from hotline.store.queue_queries import queue_figures
    from hotline.store.queue_rollups import report_figures
    from hotline.store.queue_rollups import roll_up as roll_queue

    queue = await _best(options.repeat, lambda: _count(db, "queue_events"))
    line("count(*) queue_events", queue, queue, "")
    if not options.no_old:
        raw = await _best(1, lambda: queue_figures(db, START, end))
        line("queue report from events alone", raw, queue, "(figures only)")
    settings = load_settings(environ={})
    started = time.perf_counter()
    rolled = 0
    while batch := await roll_queue(db, datetime.now(UTC), settings=settings.rollups):
        rolled += batch
    took = time.perf_counter() - started
    line("queue roll-up job, every bucket", took, queue, f"({rolled:,} buckets)")
    figures = await _best(options.repeat, lambda: report_figures(db, START, end))
    line("queue figures (roll-ups + rest)", figures, queue, "(goal < 1 s)")
    kpis = await _best(options.repeat, lambda: build_report(db, settings, START, end))
    line("queue report (roll-ups + rest)", kpis, queue, "(goal < 1 s)")
    mid = START + timedelta(minutes=7, seconds=30)  # partial buckets at both ends
    edge = await _best(
        options.repeat, lambda: build_report(db, settings, mid, end - timedelta(hours=1))
    )
    line("queue report, mid-bucket period", edge, queue, "(goal < 1 s)")
    # The KPIs as sums in SQL, no list of calls (what the wallboard reads): issue 19 item 3.
    summed = await _best(
        options.repeat, lambda: build_report(db, settings, START, end, calls=False)
    )
    line("queue KPIs summed in SQL", summed, queue, "(goal < 1 s)")
    edge = await _best(
        options.repeat,
        lambda: build_report(db, settings, mid, end - timedelta(hours=1), calls=False),
    )
    line("queue KPIs summed, mid-bucket", edge, queue, "(goal < 1 s)")
    department = next(iter(settings.queue.departments))
    dept = await _best(
        options.repeat,
        lambda: build_report(db, settings, START, end, department=department, calls=False),
    )
    line(f"queue KPIs summed, {department}", dept, queue, "(goal < 1 s)")
    print(f"  load average: {_load()}", flush=True)


def _sqlite_file(rows: int, rebuild: bool) -> Path:
    from hotline.store.db import _head_revision

    cached = CACHE / f"reports-{rows}-{_head_revision()}.db"
    if rebuild or not cached.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        building = cached.with_suffix(".building")
        building.unlink(missing_ok=True)
        started = time.perf_counter()
        asyncio.run(_fill_and_close(f"sqlite+aiosqlite:///{building}", rows))
        building.rename(cached)
        print(f"filled {cached} in {time.perf_counter() - started:.0f} s")
    return cached


def run(options: argparse.Namespace) -> int:
    print(f"machine: {machine_line()}", flush=True)
    if not options.no_sqlite:
        cached = _sqlite_file(options.rows, options.rebuild)
        rolled = cached.with_name(f"{cached.stem}-rolled.db")
        again = options.roll_again or options.rebuild or not rolled.exists()
        with tempfile.TemporaryDirectory(prefix="hotline-bench-reports-", dir=CACHE) as name:
            copy = Path(name) / "reports.db"
            shutil.copyfile(cached if again else rolled, copy)
            asyncio.run(_measure(f"sqlite+aiosqlite:///{copy}", "SQLite", options.rows, options))
            if not options.no_keep:
                copy.replace(rolled)
    url = os.environ.get("PG_TEST_URL")
    if url and not options.no_postgres:
        from bench.dialer import _reset_postgres

        rows = options.pg_rows
        if options.no_keep or options.roll_again or not asyncio.run(pg_filled(url, rows)):
            asyncio.run(_reset_postgres(url))
            started = time.perf_counter()
            asyncio.run(_fill_and_close(url, rows))
            print(f"filled PostgreSQL in {time.perf_counter() - started:.0f} s")
        asyncio.run(_measure(url, "PostgreSQL", rows, options))
        if options.no_keep:
            asyncio.run(_reset_postgres(url))
    return 0
