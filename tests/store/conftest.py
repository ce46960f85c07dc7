"""Store fixtures, parametrised over SQLite (a file) and PostgreSQL (PG_TEST_URL).

The PostgreSQL variant fails, never skips, when the server is unreachable: run
``scripts/ensure-postgres.sh`` (``make test`` does).  Deselect it with ``-m "not postgres"``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import create_async_engine

from hotline.store.calllog import CallLog
from hotline.store.db import Database
from tests.xdist_support import WORKER_VAR

PG_TEST_URL = os.environ.get(
    "PG_TEST_URL", "postgresql+psycopg://hotline_test:hotline_test@127.0.0.1:5432/hotline_test"
)

_CREATED: set[str] = set()


async def create_database(url: str) -> None:
    """Create the database ``url`` names (an xdist worker's own), connected to the server's
    ``postgres`` database; the test role needs CREATEDB (scripts/ensure-postgres.sh)."""
    target = make_url(url)
    admin = create_async_engine(
        target.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            )
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        await admin.dispose()


async def clean_postgres(url: str) -> None:
    """An empty ``public`` schema, so every test starts from nothing."""
    if os.environ.get(WORKER_VAR) and url not in _CREATED:
        with contextlib.suppress(OperationalError, ProgrammingError):
            await create_database(url)  # else the connection below says why
        _CREATED.add(url)
    engine = create_async_engine(url, connect_args={"connect_timeout": 5})
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    except OperationalError as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        pytest.fail(
            f"PostgreSQL unreachable at {shown} ({exc.orig}); run scripts/ensure-postgres.sh "
            "as root or set PG_TEST_URL",
            pytrace=False,
        )
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        # A subdirectory that does not exist yet: Database must create it.
        return f"sqlite+aiosqlite:///{tmp_path / 'var' / 'hotline.db'}"
    await clean_postgres(PG_TEST_URL)
    return PG_TEST_URL


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A database with no schema yet."""
    database = Database(db_url)
    yield database
    await database.dispose()


@pytest.fixture
async def call_log(db: Database) -> CallLog:
    await db.upgrade()
    return CallLog(db)
