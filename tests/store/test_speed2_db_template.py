"""The migrated-template copy (tests/db_template.py) gives exactly what the Alembic chain gives."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from hotline.store.db import Database, head_revision
from tests import db_template
from tests.store.test_doctor_upgrades import revisions

# The reference databases below must run the real chain.
pytestmark = pytest.mark.migrations


async def _schema(db: Database) -> list[tuple[str, str, str]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


async def test_a_copy_of_the_template_is_the_chain_s_schema(tmp_path: Path) -> None:
    chained = Database(f"sqlite+aiosqlite:///{tmp_path / 'chain' / 'hotline.db'}")
    copied = Database(f"sqlite+aiosqlite:///{tmp_path / 'copy' / 'hotline.db'}")
    try:
        assert await chained.upgrade() == await head_revision()
        copied_file = db_template.new_sqlite_file(copied.url)
        assert copied_file is not None  # Database created it empty
        assert await db_template.upgrade_from_template(copied) == await head_revision()
        assert copied_file.stat().st_size > 0
        assert stat.S_IMODE(copied_file.stat().st_mode) == 0o600
        assert await _schema(copied) == await _schema(chained)
        assert await _schema(copied)
    finally:
        await chained.dispose()
        await copied.dispose()


async def test_a_database_with_a_schema_is_migrated_by_the_chain(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}")
    try:
        first = revisions()[0]
        assert await db.upgrade(first) == first
        assert db_template.new_sqlite_file(db.url) is None
        assert await db_template.upgrade_from_template(db) == await head_revision()
    finally:
        await db.dispose()


def test_only_new_sqlite_files_qualify(tmp_path: Path) -> None:
    assert db_template.new_sqlite_file(f"sqlite+aiosqlite:///{tmp_path / 'none.db'}")
    assert db_template.new_sqlite_file("sqlite+aiosqlite:///:memory:") is None
    assert db_template.new_sqlite_file("postgresql+psycopg://u:p@127.0.0.1/db") is None
    full = tmp_path / "full.db"
    full.write_bytes(b"SQLite format 3\x00")
    assert db_template.new_sqlite_file(f"sqlite+aiosqlite:///{full}") is None
