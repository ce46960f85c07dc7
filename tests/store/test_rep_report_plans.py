"""The campaign report's queries read indexes, not the table, and sort nothing (issue 19,
item 3; SQLite's query plans: the figures are in ``make bench``); the per-attempt counts read
and the hourly chart read their roll-ups and the attempts' (campaign, creation) index, never
the whole table."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, text

from bench.dialer import OPEN, SCENARIO
from dialer.repository import DialerStore
from hotline.store.db import Database
from hotline.store.models import DialAttempt


async def _plans(tmp_path: Path) -> tuple[list[str], list[str]]:
    """(the count statements' plans: targets, minutes; every plan of ``attempt_counts``)."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'plans.db'}")
    await db.upgrade()
    store = DialerStore(db)
    now = datetime.now(UTC)
    version = await store.add_scenario("r", SCENARIO, "test", now)
    campaign = await store.create_campaign("r", version.id, OPEN, "test", now)
    async with db.session() as session:
        await session.execute(
            text(
                "INSERT INTO campaign_targets (id, campaign_id, row, phone, timezone, channel, "
                "variables, state, attempts) VALUES (1, :c, 0, '+79130000000', "
                "'Europe/Moscow', 'phone', '{}', 'pending', 0)"
            ),
            {"c": campaign.id},
        )
        await session.execute(
            insert(DialAttempt),
            [
                {
                    "id": "a" * 32,
                    "campaign_id": campaign.id,
                    "target_id": 1,
                    "number": 1,
                    "phone": "+79130000000",
                    "status": "dialing",
                    "created_at": now,
                }
            ],
        )
    plans: list[str] = []
    counted = True

    def explain(conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        head = statement.lstrip().upper()
        if head.startswith(("SELECT", "WITH")) and (not counted or "count(" in statement):
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).fetchall()
            plans.append(" | ".join(str(row[-1]) for row in rows))

    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        event.listen(db.engine.sync_engine, "before_cursor_execute", explain)
        await store.target_counts(campaign.id)
        await store.attempt_minutes(campaign.id)
        counts = plans[:]
        plans.clear()
        counted = False
        await store.attempt_counts(campaign.id)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", explain)
        await db.dispose()
    return counts, plans


async def test_report_counts_read_covering_indexes_without_sorting(tmp_path: Path) -> None:
    (targets, minutes), attempts = await _plans(tmp_path)
    assert "COVERING INDEX ix_campaign_targets_report" in targets
    assert "TEMP B-TREE" not in targets, targets
    # The chart's minutes of the buckets not rolled: their range of the campaign's attempts.
    assert "COVERING INDEX ix_dial_attempts_campaign_created" in minutes
    assert "SCAN dial_attempts" not in minutes, minutes
    # The campaign's first and last attempt, the rolled sums, the buckets not rolled.
    first_last, rolled, rest = attempts
    assert "ix_dial_attempts_campaign_created" in first_last
    assert "ix_attempt_rollups_campaign" in rolled
    assert "ix_dial_attempts_campaign_created" in rest
    for plan in attempts:
        assert "SCAN dial_attempts" not in plan, plan
