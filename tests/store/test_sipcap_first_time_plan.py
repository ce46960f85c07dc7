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
