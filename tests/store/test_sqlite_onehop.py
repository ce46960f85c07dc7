"""The SQLite adapter that runs a statement in one hop to aiosqlite's thread
(hotline/store/sqlite_onehop.py): what SQLAlchemy reads back is what its own adapter gave,
errors are SQLAlchemy's, a read-only transaction makes no commit hop, and the hops are
counted, so a return to the four-hop path fails here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from hotline.store.db import Database
from hotline.store.sqlite_onehop import OneHopConnection, OneHopCursor

METADATA = MetaData()
ITEMS = Table(
    "onehop_items",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), nullable=False, unique=True),
)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'onehop.db'}")
    async with database.engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    yield database
    await database.dispose()


@contextmanager
def hops() -> Iterator[list[str]]:
    """Each function queued on an aiosqlite connection's thread, by name."""
    queued: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(
        self: aiosqlite.Connection, fn: object, *args: object, **kw: object
    ) -> object:
        queued.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kw)  # type: ignore[no-untyped-call]

    aiosqlite.Connection._execute = counted  # type: ignore[method-assign]
    try:
        yield queued
    finally:
        aiosqlite.Connection._execute = original  # type: ignore[method-assign]


async def test_the_engine_uses_the_one_hop_cursor(db: Database) -> None:
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        adapted = raw.dbapi_connection
        assert isinstance(adapted, OneHopConnection)
        assert isinstance(adapted.cursor(), OneHopCursor)


async def test_rows_counts_and_ids_come_back(db: Database) -> None:
    async with db.session() as session:
        inserted = await session.execute(insert(ITEMS).values(name="a"))
        assert inserted.inserted_primary_key == (1,)  # type: ignore[attr-defined]
        # Several rows without RETURNING: the DBAPI's executemany.
        await session.execute(insert(ITEMS), [{"name": "b"}, {"name": "c"}, {"name": "d"}])
        returned = await session.execute(
            insert(ITEMS).returning(ITEMS.c.id, ITEMS.c.name), [{"name": "e"}, {"name": "f"}]
        )
        assert sorted(returned.all()) == [(5, "e"), (6, "f")]
        changed = await session.execute(
            update(ITEMS).where(ITEMS.c.name.in_(["a", "b", "zz"])).values(name=ITEMS.c.name + "!")
        )
        assert changed.rowcount == 2  # type: ignore[attr-defined]
    async with db.session() as session:
        result = await session.execute(select(ITEMS.c.id, ITEMS.c.name).order_by(ITEMS.c.id))
        assert list(result.keys()) == ["id", "name"]
        assert result.all() == [(1, "a!"), (2, "b!"), (3, "c"), (4, "d"), (5, "e"), (6, "f")]
        assert (await session.execute(select(ITEMS.c.id).where(ITEMS.c.id == 99))).all() == []


async def test_a_failed_statement_raises_sqlalchemys_error_and_rolls_back(db: Database) -> None:
    with pytest.raises(IntegrityError, match="UNIQUE"):
        async with db.session() as session:
            await session.execute(insert(ITEMS).values(name="kept?"))
            await session.execute(insert(ITEMS).values(name="kept?"))
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(ITEMS)) == 0
        # The connection the failure went through still serves.
        await session.execute(insert(ITEMS).values(name="after"))
    async with db.session() as session:
        assert await session.scalar(select(ITEMS.c.name)) == "after"


async def test_one_hop_a_statement_and_none_for_a_read_only_commit(db: Database) -> None:
    async with db.session() as session:
        await session.execute(select(ITEMS.c.id))  # warm the pool: its connect is not counted
    with hops() as queued:
        async with db.session() as session:
            await session.execute(select(ITEMS.c.id))
            await session.execute(select(ITEMS.c.name))
    assert queued == ["_execute", "_execute"]
    with hops() as queued:
        async with db.session() as session:
            await session.execute(insert(ITEMS).values(name="written"))
    assert queued == ["_execute", "commit"]


async def test_a_write_is_committed_for_other_connections(db: Database, tmp_path: Path) -> None:
    async with db.session() as session:
        await session.execute(insert(ITEMS).values(name="seen"))
    other = Database(f"sqlite+aiosqlite:///{tmp_path / 'onehop.db'}")
    try:
        async with other.session() as session:
            assert await session.scalar(select(ITEMS.c.name)) == "seen"
    finally:
        await other.dispose()


async def test_streamed_results_keep_sqlalchemys_server_side_cursor(db: Database) -> None:
    async with db.session() as session:
        await session.execute(insert(ITEMS), [{"name": f"n{i}"} for i in range(250)])
    async with db.engine.connect() as conn:
        stream = await conn.stream(text("SELECT name FROM onehop_items ORDER BY id"))
        names = [row.name async for row in stream]
    assert names == [f"n{i}" for i in range(250)]
