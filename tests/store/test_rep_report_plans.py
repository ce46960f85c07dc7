"""The campaign report's queries read indexes, not the table, and sort nothing (issue 19,
item 3; SQLite's query plans: the figures are in ``make bench``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from dialer.repository import DialerStore
from hotline.store.db import Database


async def _plans(tmp_path: Path) -> list[str]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'plans.db'}")
    await db.upgrade()
    store = DialerStore(db)
    plans: list[str] = []

    def explain(conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "count(" in statement:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).fetchall()
            plans.append(" | ".join(str(row[-1]) for row in rows))

    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        event.listen(db.engine.sync_engine, "before_cursor_execute", explain)
        await store.target_counts(1)
        await store.attempt_counts(1)
        await store.attempt_minutes(1)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", explain)
        await db.dispose()
    return plans


async def test_report_counts_read_covering_indexes_without_sorting(tmp_path: Path) -> None:
    targets, attempts, minutes = await _plans(tmp_path)
    assert "COVERING INDEX ix_campaign_targets_report" in targets
    assert "COVERING INDEX ix_dial_attempts_report" in attempts
    assert "INDEX ix_dial_attempts_minute" in minutes
    for plan in (targets, attempts, minutes):
        assert "TEMP B-TREE" not in plan, plan
