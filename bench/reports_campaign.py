"""The campaign report and the readings export in ``python -m bench reports`` (issue 19 item 3):
each timed against ``SELECT count(*)`` of the table it reads, in the same run.

* campaign report — the attempt roll-up job over every bucket (``hotline.store.
  attempt_rollups``, skipped when the file was rolled in an earlier run), the report's counts
  (``dialer.report.campaign_report``: contacts grouped, attempts from the roll-ups), the same
  counts as one GROUP BY over the attempts (the computation before the roll-ups), the
  contacts' counts alone, and the hourly chart's counts per minute (``attempt_minutes``);
* readings export — the current meter readings as CSV, streamed as the CLI and the console
  do (``ReadingStore.current_pages`` through ``csv_stream``): the time to the first 2,000 rows
  (what a user waits for before the download starts: the < 1 s goal applies to it), the whole
  export's rows per second, and the peak of Python memory while streaming it (tracemalloc, a
  run of its own; flat: it does not grow with the rows).
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import func, select, text

from hotline.store.db import Database
from hotline.store.models import DialAttempt

Line = Callable[[str, float, float, str], None]
FIRST_ROWS: Final = 2_000
READINGS_START: Final = datetime(2026, 9, 1, tzinfo=UTC)


def reading_rows(a: int, b: int) -> list[dict[str, Any]]:
    """Readings ``a..b-1``: each the current one of its own account (no superseded rows)."""
    return [
        {
            "call_id": f"{i:032x}",
            "account_number": f"{200000000000 + i}",
            "meter_id": f"M{i % 7}",
            "zone": 1 + i % 2,
            "period": "2026-10",
            "value": 1000 + i % 90_000,
            "previous": 900 + i % 90_000,
            "consumption": 100,
            "flags": "implausible" if i % 50 == 0 else "",
            "needs_review": i % 50 == 0,
            "taken_at": READINGS_START + timedelta(seconds=i),
            "superseded_by": None,
        }
        for i in range(a, b)
    ]


async def _best(repeat: int, work: Callable[[], Awaitable[Any]]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
    return min(times)


async def count_rows(db: Database, table: str) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def measure_campaign(db: Database, repeat: int, line: Line, export: bool = True) -> None:
    from dialer.report import campaign_report, report_csv
    from dialer.repository import DialerStore
    from hotline.store.attempt_rollups import roll_up

    store = DialerStore(db)
    campaign = await store.campaign("r")
    count = await _best(repeat, lambda: count_rows(db, "dial_attempts"))
    line("count(*) dial_attempts", count, count, "")
    started = time.perf_counter()
    rolled = await roll_up(db, datetime.now(UTC), limit=10**7)
    took = time.perf_counter() - started
    note = f"({rolled:,} buckets)" if rolled else "(none due: rolled in an earlier run)"
    line("attempt roll-up job, every bucket", took, count, note)
    report = await _best(repeat, lambda: campaign_report(store, "r"))
    line("campaign report counts", report, count, "(goal < 1 s)")
    targets = await _best(repeat, lambda: store.target_counts(campaign.id))
    line("  of them the contacts' counts", targets, count, "(GROUP BY, 1/3 as many rows)")
    attempts = await _best(repeat, lambda: store.attempt_counts(campaign.id))
    line("  of them the attempts' (roll-ups)", attempts, count, "")

    async def grouped() -> None:
        async with db.engine.connect() as conn:
            await conn.execute(
                select(DialAttempt.number, DialAttempt.status, DialAttempt.reason, func.count())
                .where(DialAttempt.campaign_id == campaign.id)
                .group_by(DialAttempt.number, DialAttempt.status, DialAttempt.reason)
            )

    before = await _best(repeat, grouped)
    line("before: attempts' counts GROUP BY", before, count, "(covering index, no roll-ups)")
    chart = await _best(repeat, lambda: store.attempt_minutes(campaign.id))
    line("campaign chart (counts per minute)", chart, count, "(goal < 1 s)")

    if not export:
        return
    streamed = await campaign_report(store, "r")

    async def csv() -> int:
        size = 0
        async for part in report_csv(store, streamed):
            size += len(part)
        return size

    started = time.perf_counter()
    size = await csv()
    took = time.perf_counter() - started
    tracemalloc.start()  # a run of its own: tracing slows every allocation down
    await csv()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    line(
        "campaign CSV export, streamed",
        took,
        count,
        f"({size / 2**20:.0f} MiB written; peak Python memory {peak / 2**20:.1f} MiB)",
    )


async def measure_readings(db: Database, repeat: int, line: Line) -> None:
    from zoneinfo import ZoneInfo

    from hotline.cli.readings_cmd import HEADER, SHEET_TITLE, reading_row
    from hotline.core.spreadsheets import SheetStream, csv_stream
    from hotline.store.accounts import ReadingStore

    zone = ZoneInfo("Europe/Moscow")
    rows = await count_rows(db, "readings")
    count = await _best(repeat, lambda: count_rows(db, "readings"))
    line("count(*) readings", count, count, "")

    async def export(limit: int | None = None) -> tuple[float, int, int]:
        """(seconds to the first FIRST_ROWS rows streamed, rows, bytes); ``limit``: stop
        after that many rows."""
        sent = 0

        async def batches() -> AsyncIterator[list[tuple[Any, ...]]]:
            nonlocal sent
            async for page in ReadingStore(db).current_pages():
                sent += len(page)
                yield [reading_row(r, zone) for r in page]

        started = time.perf_counter()
        first = 0.0
        size = 0
        sheets = [SheetStream(SHEET_TITLE, HEADER, batches())]
        stream = cast(AsyncGenerator[bytes, None], csv_stream(sheets))
        async with aclosing(stream):
            async for piece in stream:
                size += len(piece)
                if not first and sent >= FIRST_ROWS:
                    first = time.perf_counter() - started
                if limit is not None and sent >= limit:
                    break
        return first, sent, size

    first = await _best(repeat, lambda: export(FIRST_ROWS))
    line(f"readings CSV, first {FIRST_ROWS:,} rows", first, count, "(goal < 1 s)")
    started = time.perf_counter()
    _first, sent, size = await export()
    whole = time.perf_counter() - started
    assert sent == rows, (sent, rows)
    line(
        "readings CSV, whole export",
        whole,
        count,
        f"({rows / whole:,.0f} rows/s, {size / 2**20:.0f} MiB)",
    )
    peaks = []
    for limit in (rows // 50, rows // 5):  # flat: the same peak over ten times the rows
        tracemalloc.start()  # a run of its own: tracing slows every allocation down
        await export(limit)
        peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    print(
        f"  readings CSV, peak Python memory: {peaks[0]:.1f} MiB over the first {rows // 50:,}"
        f" rows, {peaks[1]:.1f} MiB over {rows // 5:,}",
        flush=True,
    )


async def pg_filled(url: str, rows: int) -> bool:
    """Whether PostgreSQL holds a kept fill of ``rows`` per table at the head revision."""
    from hotline.store.db import _head_revision

    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            version = (
                await conn.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar()
        return version == _head_revision() and all(
            [await count_rows(db, table) == rows for table in ("dial_attempts", "readings")]
        )
    except Exception:  # nothing there yet, or another schema: fill again
        return False
    finally:
        await db.dispose()
