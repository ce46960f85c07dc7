"""The schema: migrations up and down on both back ends, and no drift from the models."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from hotline.store.db import Database, head_revision
from hotline.store.migrations.column_types import render_item
from hotline.store.models import Base

# These are about the Alembic chain itself: never the template copy (tests/db_template.py).
pytestmark = pytest.mark.migrations

TABLES = {
    "webhook_events",
    "webhook_deliveries",
    "calls",
    "call_events",
    "ivr_rollups",
    "ivr_rollup_buckets",
    "ivr_rollup_marks",
    "attempt_rollups",
    "attempt_rollup_buckets",
    "attempt_rollup_marks",
    "queue_rollups",
    "queue_rollup_rings",
    "queue_rollup_buckets",
    "queue_rollup_marks",
    "calendar_overrides",
    "emergency_state",
    "menu_versions",
    "menu_drafts",
    "rating_answers",
    "survey_answers",
    "call_transfers",
    "call_quality",
    "engine_workers",
    "dialer_pacing",
    "node_leases",
    "call_dispositions",
    "card_views",
    "operator_pauses",
    "dnc_numbers",
    "scenarios",
    "contact_lists",
    "contacts",
    "campaigns",
    "campaign_targets",
    "dial_attempts",
    "dialer_limits",
    "campaign_schedules",
    "campaign_schedule_runs",
    "accounts",
    "account_phones",
    "meters",
    "readings",
    "callbacks",
    "callback_attempts",
    "queue_events",
    "operators",
    "recordings",
    "recording_access",
    "users",
    "web_sessions",
    "login_throttles",
    "outages",
    "sms_messages",
    "sms_events",
    "appeal_counters",
    "appeals",
    "appeal_events",
    "appeal_links",
    "audit_log",
    "kb_articles",
    "kb_topics",
}
# The knowledge base's search index on SQLite: an FTS5 table and the shadow tables it keeps.
KB_SEARCH = {
    "kb_search",
    "kb_search_data",
    "kb_search_idx",
    "kb_search_docsize",
    "kb_search_config",
    "kb_search_content",
}


async def tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    return names - {"alembic_version"}


async def test_upgrade_downgrade_upgrade(db: Database) -> None:
    head = await head_revision()
    assert head == "0041_rep2_attempt_rollups"
    assert await db.current_revision() is None

    assert await db.upgrade() == head
    assert await tables(db) - KB_SEARCH == TABLES
    assert ("kb_search" in await tables(db)) == (db.engine.dialect.name == "sqlite")
    assert await db.upgrade() == head  # already there: a no-op

    assert await db.downgrade("base") is None
    assert await tables(db) == set()

    assert await db.upgrade() == head
    assert await tables(db) - KB_SEARCH == TABLES


async def test_concurrent_upgrades_do_not_collide(db_url: str) -> None:
    # The engine and a CLI command starting together both migrate the same database.
    databases = [Database(db_url) for _ in range(3)]
    try:
        revisions = await asyncio.gather(*(d.upgrade() for d in databases))
    finally:
        for d in databases:
            await d.dispose()
    assert set(revisions) == {await head_revision()}


def _modelled(name: str | None, kind: str, _parents: Any) -> bool:
    """Not the knowledge base's search index, which only the migration creates (an FTS5 table
    on SQLite, an expression index on PostgreSQL)."""
    if kind == "table":
        return name not in KB_SEARCH
    return not (kind == "index" and name == "ix_kb_articles_search")


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "render_item": render_item, "include_name": _modelled},
    )
    diffs: list[Any] = compare_metadata(context, Base.metadata)
    return diffs


async def test_models_match_migrations(db: Database) -> None:
    await db.upgrade()
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []


async def test_sqlite_connections_use_wal(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "hotline.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with db.engine.connect() as conn:
            pragmas = {
                name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        await db.dispose()
    # synchronous: 1 is NORMAL.
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "foreign_keys": 1,
        "busy_timeout": 5000,
    }
    assert path.exists()


async def test_deleting_a_call_deletes_its_events(db: Database) -> None:
    # Also proves foreign keys are enforced on SQLite (off by default there).
    await db.upgrade()
    async with db.session() as session:
        await session.execute(
            text(
                "INSERT INTO calls (id, direction, uniqueid, simulated, started_at) "
                "VALUES ('c1', 'inbound', 'u1', false, CURRENT_TIMESTAMP)"
            )
        )
        await session.execute(
            text(
                "INSERT INTO call_events (call_id, at, kind, value) "
                "VALUES ('c1', CURRENT_TIMESTAMP, 'note', 'x')"
            )
        )
    async with db.session() as session:
        await session.execute(text("DELETE FROM calls WHERE id = 'c1'"))
    async with db.session() as session:
        assert (await session.execute(text("SELECT count(*) FROM call_events"))).scalar() == 0
