"""Alembic environment.

``Database.upgrade()`` hands in an open connection (``config.attributes["connection"]``).
From the ``alembic`` command line (see ``alembic.ini`` at the repository root) the URL comes
from ``-x url=...``, else ``sqlalchemy.url``, else the hotline settings, and an async engine
is opened here.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import make_url
from sqlalchemy.engine import Connection

from hotline.store.migrations.column_types import render_item
from hotline.store.models import Base

config = context.config
target_metadata = Base.metadata


def _options(dialect_name: str) -> dict[str, Any]:
    return {
        "target_metadata": target_metadata,
        "compare_type": True,
        "render_item": render_item,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        "render_as_batch": dialect_name == "sqlite",
    }


def _run(connection: Connection) -> None:
    context.configure(connection=connection, **_options(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    url = url or config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from hotline.settings import load_settings

    return load_settings().database_url


async def _run_on_url(url: str) -> None:
    from hotline.store.db import Database, take_migration_lock

    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await take_migration_lock(conn)
            await conn.run_sync(_run)
    finally:
        await db.dispose()


def _main() -> None:
    connection = config.attributes.get("connection")
    if connection is None and config.config_file_name:
        # The alembic command line: log as alembic.ini says.  In the engine, ours applies.
        fileConfig(config.config_file_name)
    if connection is not None:
        _run(connection)
    elif context.is_offline_mode():
        url = _url()
        context.configure(
            url=url, literal_binds=True, **_options(make_url(url).get_backend_name())
        )
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(_run_on_url(_url()))


_main()
