"""The SQLite pool's reset on return (issue 19 item 1): a session that committed goes back to
the pool without a rollback (a hop to aiosqlite's thread for nothing); a connection returned
with its transaction open is still rolled back, so it never keeps the write lock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection
from sqlalchemy.util import greenlet_spawn

from hotline.store.db import Database, sqlite_in_transaction


@pytest.fixture
def rollbacks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every DBAPI-level rollback of an aiosqlite connection, in order."""
    calls: list[object] = []
    original = AsyncAdapt_aiosqlite_connection.rollback

    def counted(self: AsyncAdapt_aiosqlite_connection) -> None:
        calls.append(self)
        original(self)

    monkeypatch.setattr(AsyncAdapt_aiosqlite_connection, "rollback", counted)
    yield calls


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'reset.db'}")
    async with database.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    try:
        yield database
    finally:
        await database.dispose()


async def test_a_committed_session_returns_without_a_rollback(
    db: Database, rollbacks: list[object]
) -> None:
    for n in range(3):
        async with db.session() as session:
            await session.execute(text("INSERT INTO notes (body) VALUES (:b)"), {"b": f"n{n}"})
        async with db.session() as session:  # a read-only session: no transaction at all
            await session.scalar(text("SELECT count(*) FROM notes"))
    assert rollbacks == []
    async with db.session() as session:
        assert await session.scalar(text("SELECT count(*) FROM notes")) == 3


async def test_a_failed_session_is_rolled_back(db: Database, rollbacks: list[object]) -> None:
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            await session.execute(text("INSERT INTO notes (body) VALUES ('lost')"))
            raise RuntimeError("the unit of work failed")
    assert len(rollbacks) == 1
    async with db.session() as session:
        assert await session.scalar(text("SELECT count(*) FROM notes")) == 0


async def test_a_connection_returned_mid_transaction_is_rolled_back(
    db: Database, rollbacks: list[object]
) -> None:
    held: list[bool] = []

    def return_it_dirty() -> None:  # sync pool API: runs in SQLAlchemy's greenlet
        raw = db.engine.sync_engine.raw_connection()
        cursor = raw.cursor()
        cursor.execute("INSERT INTO notes (body) VALUES ('uncommitted')")
        cursor.close()
        held.append(sqlite_in_transaction(raw.dbapi_connection))
        dbapi = raw.dbapi_connection
        raw.close()  # back to the pool with the write lock held: the reset must release it
        held.append(sqlite_in_transaction(dbapi))

    await greenlet_spawn(return_it_dirty)
    assert held == [True, False]
    assert len(rollbacks) == 1
    async with db.session() as session:
        await session.execute(text("INSERT INTO notes (body) VALUES ('next')"))
    async with db.session() as session:
        bodies = (await session.scalars(text("SELECT body FROM notes"))).all()
    assert bodies == ["next"]
