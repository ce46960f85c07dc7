"""Issue 19 item 1: the IVR's first-time-caller lookup, made at every inbound call's start
before the main menu, reads the caller's own rows through ``ix_calls_caller`` (migration
0037), not every row of the call log (SQLite's query plan; the figures are in the README)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event

from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection


async def test_the_first_time_lookup_searches_the_callers_index(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'plans.db'}")
    await db.upgrade()
    log = CallLog(db)
    plans: list[str] = []

    def explain(conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT COUNT("):
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).fetchall()
            plans.append(" | ".join(str(row[-1]) for row in rows))

    try:
        await log.open(uniqueid="1.1", direction=CallDirection.INBOUND, caller="79131234567")
        event.listen(db.engine.sync_engine, "before_cursor_execute", explain)
        assert await log.calls_from("79131234567", excluding="1.2") == 1
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", explain)
        await db.dispose()
    assert len(plans) == 1 and "INDEX ix_calls_caller" in plans[0], plans
    assert "SCAN calls" not in plans[0]


async def test_the_ivr_lookup_stops_at_the_first_earlier_call(tmp_path: Path) -> None:
    """sipcap4: the IVR only asks whether the number called before; a number with many
    calls (the bench's one caller, a company's trunk, many people behind one number) must not
    cost every call a count of all its rows: the query reads up to one row, by the index."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'first.db'}")
    await db.upgrade()
    log = CallLog(db)
    statements: list[str] = []
    plans: list[str] = []

    def seen(conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        if "count(" in statement.lower() and not statement.startswith("EXPLAIN"):
            statements.append(statement)
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).fetchall()
            plans.append(" | ".join(str(row[-1]) for row in rows))

    try:
        for n in range(5):
            await log.open(uniqueid=f"1.{n}", direction=CallDirection.INBOUND, caller="79131")
        await log.open(uniqueid="2.0", direction=CallDirection.INBOUND, caller="79999")
        event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
        assert await log.calls_from("79131", excluding="1.9", up_to=1) == 1
        assert await log.calls_from("79999", excluding="2.0", up_to=1) == 0  # only this call
        assert await log.calls_from("70000", up_to=1) == 0
        assert await log.calls_from("79131", excluding="1.0") == 4  # no limit: the count
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
        await db.dispose()
    assert all("LIMIT" in s.upper() for s in statements[:3]), statements
    assert all("INDEX ix_calls_caller" in p and "SCAN calls" not in p for p in plans), plans
