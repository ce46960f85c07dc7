"""A worker's claims are released through ``ix_campaign_targets_claimed`` (migration 0040):
on PostgreSQL every dispatcher pass releases what its worker claimed and did not dial, and
that UPDATE by ``claimed_by`` scanned every contact of every campaign.  The plan is read with
the database's own EXPLAIN on the statement ``Claims.release`` runs (on PostgreSQL, whose
planner picks by table size, with sequential scans off, to show the index fits it); SQLite
writes no claims (one engine per file), so there the same UPDATE is explained by hand."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from dialer.repository import DialerStore
from hotline.store.db import Database

SQLITE_RELEASE = (
    "UPDATE campaign_targets SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ?"
)


async def _release_updates(db: Database) -> list[tuple[str, Any]]:
    """The UPDATEs ``release_claims`` runs, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, params: Any, _x: Any, _m: bool) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            seen.append((statement, params))

    sync = db.engine.sync_engine
    event.listen(sync, "before_cursor_execute", record)
    try:
        await DialerStore(db).release_claims("w1")
    finally:
        event.remove(sync, "before_cursor_execute", record)
    return seen


async def test_claims_are_released_through_their_partial_index(db: Database) -> None:
    await db.upgrade()
    updates = await _release_updates(db)
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            assert updates == []
            rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {SQLITE_RELEASE}", ("w1",))
            plan = "\n".join(str(row[-1]) for row in rows)
        else:
            [(statement, params)] = updates
            await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", params)
            plan = "\n".join(str(row[0]) for row in rows)
            await conn.rollback()
    assert "ix_campaign_targets_claimed" in plan, plan
