"""The summed queue KPIs read indexes, not table rows (issue 19 item 3, migration 0039): over
a wholly rolled period the one row of sums reads ``ix_queue_rollups_sums`` alone, the
period's totals ``ix_calls_started_totals`` alone, and no statement scans ``calls`` (a
bound false used to make SQLite scan every call for an empty part).  The plans are read
with the database's own EXPLAIN on the statements the report runs; on PostgreSQL, whose
planner picks by table size, with sequential scans off, to show the index fits the query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, insert, text

from hotline.contact_center.queue_report import build_report
from hotline.settings import load_settings
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome
from hotline.store.models import Call, QueueEvent
from hotline.store.queue_rollups import report_figures, roll_up

START = datetime(2026, 11, 2, tzinfo=UTC)
END = START + timedelta(days=1)


async def _fill(db: Database) -> None:
    calls, events = [], []
    for i in range(96):
        started = START + timedelta(minutes=15 * i, seconds=i % 7)
        uniqueid = f"39.{i}"
        calls.append(
            {
                "id": f"{i:032x}",
                "direction": CallDirection.INBOUND,
                "uniqueid": uniqueid,
                "simulated": i % 9 == 0,
                "started_at": started,
                "ended_at": started + timedelta(minutes=3),
                "outcome": (CallOutcome.OPERATOR, CallOutcome.COMPLETED, None)[i % 3],
            }
        )
        for k, kind in enumerate(("join", "connect", "complete")[: 1 + i % 3]):
            events.append(
                {
                    "at": started + timedelta(seconds=20 + 15 * k),
                    "kind": kind,
                    "uniqueid": uniqueid,
                    "queue": "hotline-operators",
                    "member": None if kind == "join" else "PJSIP/anna",
                    "talk": 70 if kind == "complete" else None,
                }
            )
    async with db.session() as session:
        await session.execute(insert(Call), calls)
        await session.execute(insert(QueueEvent), events)
    while await roll_up(db, datetime.now(UTC), limit=500):
        pass


async def _statements(db: Database) -> list[tuple[str, Any]]:
    """The statements the summed report runs over the wholly rolled day."""
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, params: Any, _x: Any, _m: bool) -> None:
        seen.append((statement, params))

    sync = db.engine.sync_engine
    event.listen(sync, "before_cursor_execute", record)
    try:
        report = await build_report(db, load_settings(environ={}), START, END, calls=False)
    finally:
        event.remove(sync, "before_cursor_execute", record)
    assert report.calls_total == 96 - 11  # simulated ones left out
    return [(s, p) for s, p in seen if not s.lstrip().upper().startswith(("BEGIN", "SET"))]


async def _plan(db: Database, statement: str, params: Any) -> str:
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            return "\n".join(str(row[-1]) for row in rows)
        # In a transaction rolled back: the narrower indexes a tiny table prefers set aside.
        for index in ("ix_queue_rollups_scope_bucket", "ix_calls_started_at"):
            await conn.exec_driver_sql(f"DROP INDEX {index}")
        await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", params)
        plan = "\n".join(str(row[0]) for row in rows)
        await conn.rollback()
        return plan


async def test_the_summed_kpis_read_their_covering_indexes(db: Database) -> None:
    await db.upgrade()
    await _fill(db)
    assert (await report_figures(db, START, END)).rolled == 96  # every bucket rolled
    if not db.is_sqlite:  # the visibility map an index-only scan needs
        async with db.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.execute(text("VACUUM ANALYZE queue_rollups, calls"))
    plans = {s: await _plan(db, s, p) for s, p in await _statements(db)}
    sums = [plan for s, plan in plans.items() if "FILTER (WHERE" in s and "queue_rollups" in s]
    totals = [plan for s, plan in plans.items() if "period_calls" in s and "count(*)" in s]
    assert len(sums) == 1 and len(totals) >= 1
    if db.is_sqlite:
        assert "USING COVERING INDEX ix_queue_rollups_sums" in sums[0]
        assert any("USING COVERING INDEX ix_calls_started_totals" in p for p in totals)
        scans = [p for p in plans.values() if "SCAN calls" in p]
        assert scans == []
    else:
        assert "Index Only Scan using ix_queue_rollups_sums" in sums[0]
        assert any("Index Only Scan using ix_calls_started_totals" in p for p in totals)
