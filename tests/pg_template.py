"""A migrated PostgreSQL schema replayed instead of the Alembic chain on every test database
(issue 19: a suite that halves; the store tests clean their worker's database before each test,
and the 30-step chain cost a third of a CPU-second in the worker, the server's DDL work and
seconds of wall time per test, about 200 times per run).

``Database.upgrade()`` to head on a PostgreSQL database whose ``public`` schema is empty (as
``tests/store/conftest.py`` leaves it) runs, in one transaction, a ``pg_dump`` of a template
database this process migrated once with the real ``upgrade`` (``<database>_tmpl`` beside
the test database), then the real ``upgrade``, which finds the schema at head.  Anything else
(another revision, a schema already there, SQLite) runs the real ``upgrade`` untouched; tests
about the migrations carry the ``migrations`` marker and always run the chain.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Callable, Coroutine
from typing import Any, Final

import psycopg
from sqlalchemy import URL, make_url

from hotline.store.db import Database

_EMPTY_SQL: Final = """
SELECT NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'public')
   AND NOT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = 'public')
   AND NOT EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                   WHERE n.nspname = 'public')
"""
# head revision + server -> the template's dump, per process.
_scripts: dict[tuple[str, str], str] = {}


def libpq_dsn(url: str | URL) -> str:
    """``url`` (SQLAlchemy's postgresql+psycopg form) as libpq's ``postgresql://`` DSN."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def template_url(url: str | URL) -> URL:
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_tmpl")


def is_postgres(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


async def is_empty(url: str | URL) -> bool:
    """Whether the ``public`` schema of the database ``url`` names holds nothing at all."""
    async with await psycopg.AsyncConnection.connect(libpq_dsn(url), autocommit=True) as conn:
        row = await (await conn.execute(_EMPTY_SQL)).fetchone()
    return bool(row and row[0])


async def _fresh_template(url: str | URL) -> URL:
    """The template database beside ``url``'s, created if missing, with an empty schema."""
    target = template_url(url)
    admin = libpq_dsn(make_url(url).set(database="postgres"))
    async with await psycopg.AsyncConnection.connect(admin, autocommit=True) as conn:
        found = await (
            await conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target.database])
        ).fetchone()
        if found is None:
            await conn.execute(f'CREATE DATABASE "{target.database}"')
    async with await psycopg.AsyncConnection.connect(libpq_dsn(target), autocommit=True) as conn:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        await conn.execute("CREATE SCHEMA public")
    return target


def _dump(url: URL) -> str:
    """The database's schema and rows as SQL statements (psql's meta-commands left out)."""
    pg_dump = shutil.which("pg_dump") or "pg_dump"
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    out = subprocess.run(
        [
            pg_dump,
            "--inserts",
            "--no-owner",
            "--no-privileges",
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "",
            url.database or "",
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    return "\n".join(line for line in out.splitlines() if not line.startswith("\\"))


async def script(
    url: str | URL, head: str, real_upgrade: Callable[[Database, str], Coroutine[Any, Any, Any]]
) -> str:
    """The dump of a database migrated to ``head`` by the real chain, once per process."""
    key = (head, make_url(url).set(database="").render_as_string(hide_password=True))
    known = _scripts.get(key)
    if known is not None:
        return known
    target = await _fresh_template(url)
    template = Database(target.render_as_string(hide_password=False))
    try:
        await real_upgrade(template, "head")
    finally:
        await template.dispose()
    text = await asyncio.to_thread(_dump, target)
    _scripts[key] = text
    return text


async def replay(url: str | URL, sql: str) -> None:
    """``sql`` (a dump) run in one transaction on its own connection (the dump empties the
    connection's search_path, so the connection is closed afterwards)."""
    async with await psycopg.AsyncConnection.connect(libpq_dsn(url)) as conn:
        await conn.execute(sql.encode())
        await conn.commit()
