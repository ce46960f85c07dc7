"""Upgrades with data in the store: every schema revision, filled, migrated to head.

One database per back end is walked revision by revision from the first: at each revision one
row goes into every table that exists there (generated from the schema reflected at that
revision, so a new migration needs no hand work here), and after every step all rows written so
far must still be there, unchanged.  At head every model reads every row, and the repositories
read them.  ``hotline db upgrade`` refuses a schema newer than it knows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql.schema import Column

from hotline.store.accounts import AccountStore
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.db import Database, UnknownSchema, alembic_config, head_revision
from hotline.store.models import Base
from hotline.store.operators import Operators
from hotline.store.users import UserStore
from tests.cli_support import hermetic_store_url, run_hotline

# SQLite's expression index (0011_report_indexes) is not reflected; nothing here needs it.
# About the Alembic chain itself: never the template copy (tests/db_template.py).
pytestmark = [
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection"),
    pytest.mark.migrations,
]

T0 = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)

# A row as written: its primary key and every column's value as the database gave it back.
Written = tuple[dict[str, Any], dict[str, Any]]


def revisions() -> list[str]:
    """Every revision from the first to head, in order."""
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]


def _model_column(table: str, column: str) -> Column[Any] | None:
    model = Base.metadata.tables.get(table)
    return model.c.get(column) if model is not None else None


def _value(conn: Connection, table: Table, column: Column[Any], step: int) -> Any:
    """A value the column accepts and the model (where it has the column) reads back: enum
    columns get a member, JSON a document, strings a text unique to this step."""
    model = _model_column(table.name, column.name)
    kind = model.type if model is not None else column.type
    if isinstance(kind, Enum):
        return kind.enums[step % len(kind.enums)]
    if isinstance(kind, JSON) or isinstance(column.type, JSON):
        return {"step": step, "text": "ёлка"}
    kind = column.type
    if isinstance(kind, Boolean):
        return step % 2 == 1
    if isinstance(kind, Integer):
        return step + 1
    if isinstance(kind, Float | Numeric):
        return step + 0.5
    if isinstance(kind, DateTime):
        moment = T0 + timedelta(hours=step)
        # As the models' UtcDateTime writes it: naive UTC text on SQLite.
        return moment.replace(tzinfo=None) if conn.dialect.name == "sqlite" else moment
    if isinstance(kind, Date):
        return date(2026, 1, 1) + timedelta(days=step)
    if isinstance(kind, String | Text):
        length = getattr(kind, "length", None) or 64
        return f"{step}-{table.name}.{column.name}-ё"[:length]
    raise AssertionError(f"no test value for {table.name}.{column.name} ({kind!r})")


def _is_generated(table: Table, column: Column[Any]) -> bool:
    """A key the database assigns: a single integer key, unless reflected as not
    auto-incremented (a natural key such as appeal_counters.year on PostgreSQL)."""
    keys = list(table.primary_key.columns)
    return (
        keys == [column] and isinstance(column.type, Integer) and column.autoincrement is not False
    )


def _reflect(conn: Connection) -> MetaData:
    meta = MetaData()
    meta.reflect(conn)
    # The knowledge base's search index on SQLite (an FTS5 table and its shadow tables, from
    # 0019_kb_articles) is the store's index of kb_articles, not data of its own.
    for name in [name for name in meta.tables if name.startswith("kb_search")]:
        meta.remove(meta.tables[name])
    return meta


def _read(table: Table, conn: Connection, key: dict[str, Any]) -> dict[str, Any] | None:
    where = [table.c[name] == value for name, value in key.items()]
    row = conn.execute(select(table).where(*where)).mappings().one_or_none()
    return dict(row) if row is not None else None


def fill(conn: Connection, meta: MetaData, step: int) -> dict[str, list[Written]]:
    """One row in every table (parents first, foreign keys pointing at this step's parents)."""
    written: dict[str, list[Written]] = {}
    rows: dict[str, dict[str, Any]] = {}
    for table in meta.sorted_tables:
        if table.name == "alembic_version":
            continue
        values: dict[str, Any] = {}
        for column in table.columns:
            if _is_generated(table, column):
                continue
            values[column.name] = _value(conn, table, column, step)
        for fk in table.foreign_keys:
            if fk.column.table.name != table.name:
                values[fk.parent.name] = rows[fk.column.table.name][fk.column.name]
        result = conn.execute(table.insert().values(values))
        key = dict(zip(table.primary_key.columns.keys(), result.inserted_primary_key, strict=True))
        row = _read(table, conn, key)
        assert row is not None
        rows[table.name] = row
        written[table.name] = [(key, row)]
    return written


def check_rows(conn: Connection, meta: MetaData, written: dict[str, list[Written]]) -> list[str]:
    """What changed or went missing among the rows written so far (one query per table)."""
    problems = []
    for name, rows in written.items():
        table = meta.tables.get(name)
        if table is None:
            problems.append(f"table {name} is gone")
            continue
        keys = rows[0][0].keys()
        stored = {
            tuple(row[key] for key in keys): dict(row)
            for row in conn.execute(select(table)).mappings()
        }
        for key, before in rows:
            after = stored.get(tuple(key.values()))
            if after is None:
                problems.append(f"{name} {key}: row is gone")
                continue
            changed = {
                column: (value, after[column])
                for column, value in before.items()
                if column in after and after[column] != value
            }
            if changed:
                problems.append(f"{name} {key}: changed {changed}")
    return problems


def orm_counts(conn: Connection) -> dict[str, int]:
    """How many rows every model reads (building each object: enums, JSON, times)."""
    from sqlalchemy.orm import Session

    counts = {}
    with Session(bind=conn) as session:
        for mapper in Base.registry.mappers:
            objects = session.scalars(select(mapper.class_)).all()
            counts[mapper.local_table.name] = len(objects)
    return counts


async def test_every_revision_upgrades_to_head_with_its_rows(db: Database) -> None:
    chain = revisions()
    assert chain[0] == "0001_call_log"
    assert chain[-1] == await head_revision()
    written: dict[str, list[Written]] = {}
    for step, revision in enumerate(chain):
        assert await db.upgrade(revision) == revision
        async with db.engine.begin() as conn:
            meta = await conn.run_sync(_reflect)
            assert await conn.run_sync(check_rows, meta, written) == [], f"upgrading to {revision}"
            for name, rows in (await conn.run_sync(fill, meta, step)).items():
                written.setdefault(name, []).extend(rows)

    # Every table at head got a row at every revision since it appeared.
    head_tables = {table.name for table in Base.metadata.sorted_tables}
    assert set(written) == head_tables
    async with db.engine.connect() as conn:
        counts = await conn.run_sync(orm_counts)
    # The roll-ups' triggers (IVR 0031, queue 0036, attempts 0041) mark the buckets of old
    # calls and attempts the later steps wrote, beside the marks the walk wrote itself.
    marks = ("ivr_rollup_marks", "queue_rollup_marks", "attempt_rollup_marks")
    for table in marks:
        assert counts.pop(table) >= len(written[table]), table
    assert counts == {name: len(rows) for name, rows in written.items() if name not in marks}

    # The repositories read what the first revisions wrote.
    first = written["calls"][0][1]
    call = await CallLog(db).get(call_id=first["id"])
    assert call is not None and call.uniqueid == first["uniqueid"]
    assert len(call.events) == 1
    assert len(await UserStore(db).all()) == len(written["users"])
    assert len(await Operators(db).all()) == len(written["operators"])
    assert len(await CallbackStore(db).find()) == len(written["callbacks"])
    account = written["accounts"][0][1]
    stored = await AccountStore(db).get(account["number"])
    assert stored is not None and stored.name == account["name"]


# --- a schema newer than this hotline ----------------------------------------------------------


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


async def _pretend_newer(url: str) -> None:
    async with Database(url) as db:
        await db.upgrade()
        async with db.session() as session:
            await session.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))


async def _version(url: str) -> str:
    async with Database(url) as db, db.session() as session:
        return str(
            await session.scalar(
                select(func.max(text("version_num"))).select_from(text("alembic_version"))
            )
        )


def test_db_upgrade_refuses_a_newer_schema(url: str) -> None:
    asyncio.run(_pretend_newer(url))
    code, out, err = run_hotline(url, "db", "upgrade")
    assert code != 0
    assert out == ""
    assert "0099_future" in err and "newer" in err
    assert "Traceback" not in err
    assert asyncio.run(_version(url)) == "0099_future"  # untouched


def test_other_commands_refuse_a_newer_schema_too(url: str) -> None:
    asyncio.run(_pretend_newer(url))
    code, _out, err = run_hotline(url, "calls", "list")
    assert code != 0
    assert "0099_future" in err


def test_the_engine_refuses_a_newer_schema(url: str) -> None:
    asyncio.run(_pretend_newer(url))
    code, _out, err = run_hotline(url, "run", settings=("ami.secret=x",))
    assert code == 2
    assert "0099_future" in err and "newer" in err
    assert asyncio.run(_version(url)) == "0099_future"


def test_the_console_refuses_a_newer_schema_with_its_message(url: str) -> None:
    asyncio.run(_pretend_newer(url))
    code, out, err = run_hotline(url, "web")
    assert code == 2
    assert "0099_future" in err and "newer" in err
    assert "Traceback" not in out + err and "console on" not in out


async def test_database_upgrade_raises_on_an_unknown_revision(db: Database) -> None:
    await db.upgrade()
    async with db.session() as session:
        await session.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    with pytest.raises(UnknownSchema, match="0099_future"):
        await db.upgrade()
    assert await db.current_revision() == "0099_future"
