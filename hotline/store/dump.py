"""Copying the whole store to a file and back: SQLite's online backup API (a consistent copy
while the engine writes), ``pg_dump``/``pg_restore`` for PostgreSQL.

The PostgreSQL tools get the connection from ``PG*`` environment variables, never from their
command line (where every user on the host could read the password).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Final

from sqlalchemy import text
from sqlalchemy.engine import URL

from hotline.core.files import touch_private
from hotline.store.db import Database

SQLITE_FILE: Final = "hotline.db"
PG_FILE: Final = "hotline.pgdump"
TOOL_TIMEOUT: Final = 3600.0


class DumpError(RuntimeError):
    """The copy could not be made or put back; the message says why."""


def dump_file(db: Database) -> str:
    """The name of the store's copy inside a backup folder."""
    return SQLITE_FILE if db.is_sqlite else PG_FILE


def sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise DumpError(f"cannot back up the SQLite database {url.database!r}: not a file")
    return Path(url.database).expanduser()


def _sqlite_copy(source: Path, target: Path, *, into_backup: bool) -> None:
    """``source`` page by page into ``target`` (whose content it replaces), both files.

    A backup's copy is one self-contained file (rollback journal, not WAL: reading it never
    creates -wal/-shm files beside it, which would break the manifest); the store gets WAL
    back from its next connection (``hotline.store.db``)."""
    touch_private(target)
    # The live store may change while it is read; a backup's copy may not.
    options = "mode=ro" if into_backup else "mode=ro&immutable=1"
    src = sqlite3.connect(f"file:{source}?{options}", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            if into_backup:
                dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()


async def dump(db: Database, target: Path) -> None:
    """The store into ``target`` (a new file)."""
    if db.is_sqlite:
        source = sqlite_path(db.url)
        if not source.exists():
            raise DumpError(f"no database file at {source}")
        await asyncio.to_thread(_sqlite_copy, source, target, into_backup=True)
        return
    touch_private(target)
    await _pg_tool(db.url, ["pg_dump", "--format=custom", "--no-owner", "--file", str(target)])


async def restore(db: Database, source: Path) -> None:
    """``source`` (made by :func:`dump`) into the store, replacing what is there."""
    if db.is_sqlite:
        target = sqlite_path(db.url)
        target.parent.mkdir(parents=True, exist_ok=True)
        await db.dispose()  # no pooled connection of ours holds the file
        await asyncio.to_thread(_sqlite_copy, source, target, into_backup=False)
        return
    async with db.engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await db.dispose()
    await _pg_tool(
        db.url, ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", str(source)]
    )


async def is_empty(db: Database) -> bool:
    """Whether the store has no tables at all (a new database, or none yet)."""
    if db.is_sqlite:
        path = sqlite_path(db.url)
        if not path.exists() or path.stat().st_size == 0:
            return True
        query = "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
    else:
        query = (
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    async with db.engine.connect() as conn:
        return not await conn.scalar(text(query))


def _pg_environment(url: URL) -> dict[str, str]:
    env = dict(os.environ)
    sslmode = url.query.get("sslmode")
    given = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password if isinstance(url.password, str) else None,
        "PGDATABASE": url.database,
        "PGSSLMODE": sslmode if isinstance(sslmode, str) else None,
    }
    env.update({key: value for key, value in given.items() if value})
    return env


async def _pg_tool(url: URL, argv: list[str]) -> None:
    if shutil.which(argv[0]) is None:
        raise DumpError(f"{argv[0]} not found: apt install postgresql-client")
    if argv[0] == "pg_restore":
        argv = [*argv[:-1], "--dbname", str(url.database), argv[-1]]
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_pg_environment(url),
    )
    try:
        async with asyncio.timeout(TOOL_TIMEOUT):
            _out, err = await process.communicate()
    except TimeoutError as exc:
        process.kill()
        await process.wait()
        raise DumpError(f"{argv[0]} took longer than {TOOL_TIMEOUT:.0f} s") from exc
    if process.returncode != 0:
        message = err.decode("utf-8", "replace").strip()
        raise DumpError(f"{argv[0]} failed (exit {process.returncode}): {message}")
