"""The PostgreSQL template dump (tests/pg_template.py) is exactly what the Alembic chain gives."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from hotline.store.db import Database, head_revision
from tests import db_template, pg_template
from tests.store.conftest import PG_TEST_URL, clean_postgres
from tests.store.test_doctor_upgrades import revisions

# The reference database below must run the real chain; the server is the shared test one.
pytestmark = [pytest.mark.migrations, pytest.mark.postgres]

_SCHEMA_SQL = """
SELECT 'column', table_name || '.' || column_name,
       data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
  FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'trigger', tgrelid::regclass::text || '.' || tgname, pg_get_triggerdef(oid)
  FROM pg_trigger WHERE NOT tgisinternal
UNION ALL
SELECT 'function', proname, pg_get_functiondef(oid)
  FROM pg_proc WHERE pronamespace = 'public'::regnamespace
UNION ALL
SELECT 'sequence', sequencename, coalesce(last_value::text, '-') || ' ' || increment_by::text
  FROM pg_sequences WHERE schemaname = 'public'
UNION ALL
SELECT 'version', version_num, '' FROM alembic_version
ORDER BY 1, 2
"""


async def _schema(db: Database) -> list[tuple[str, str, str]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(text(_SCHEMA_SQL))
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


async def test_the_template_s_dump_is_the_chain_s_schema() -> None:
    await clean_postgres(PG_TEST_URL)
    db = Database(PG_TEST_URL)
    try:
        assert await db.upgrade() == await head_revision()
        chained = await _schema(db)
        assert chained
        await clean_postgres(PG_TEST_URL)
        assert await pg_template.is_empty(PG_TEST_URL)
        assert await db_template.upgrade_from_template(db) == await head_revision()
        assert not await pg_template.is_empty(PG_TEST_URL)
        assert await _schema(db) == chained
        # The dump replayed, not the chain run: the template is its head's.
        head = await head_revision()
        assert any(key[0] == head for key in pg_template._scripts)
    finally:
        await db.dispose()


async def test_a_database_with_a_schema_is_migrated_by_the_chain() -> None:
    await clean_postgres(PG_TEST_URL)
    db = Database(PG_TEST_URL)
    try:
        first = revisions()[0]
        assert await db.upgrade(first) == first
        assert not await pg_template.is_empty(PG_TEST_URL)
        assert await db_template.upgrade_from_template(db) == await head_revision()
    finally:
        await db.dispose()
