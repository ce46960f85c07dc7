"""The database handle: an async engine, sessions per unit of work, and migrations.

SQLite (the default, a file) and PostgreSQL (``postgresql+psycopg://``) are both supported.
The engine process and the CLI may open the same SQLite file at once, so every SQLite
connection runs in WAL mode and waits up to five seconds for a lock instead of failing.
Within one process the write transactions take turns at the database's write gate
(``hotline/store/write_gate.py``) and so meet SQLite's lock only when another process holds it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self, TypeVar

from sqlalchemy import event, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolResetState

from hotline.core.files import touch_private
from hotline.store.sqlite_onehop import onehop_dbapi
from hotline.store.write_gate import WriteGate, install

if TYPE_CHECKING:
    from alembic.config import Config

    from hotline.settings import Settings

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

SQLITE_PRAGMAS = (
    # busy_timeout (resilience.sqlite_busy_seconds) comes first: what follows may need a lock
    # another connection holds.
    "journal_mode=WAL",
    "synchronous=NORMAL",
    "foreign_keys=ON",
)

# Rows (or IN-list values) per statement in bulk writes and lookups: with our widest rows this
# keeps one statement's bound parameters far below SQLite's 32766 and PostgreSQL's 65535, and a
# batch small enough that progress can be reported between batches.
BATCH_ROWS: Final = 500
# The pool's size and overflow when the settings leave them to the backend (StoreSettings).
# SQLite: a connection is a thread of aiosqlite and nothing on a server; with 5 and 10 a burst
# of 320 callers opened one (a thread start and its PRAGMAs) for every other call (issue 19
# item 1).  PostgreSQL: SQLAlchemy's; a connection is a server process, and every worker, the
# web and the CLI share the server's max_connections.
SQLITE_POOL: Final = (20, 40)
SERVER_POOL: Final = (5, 10)

# What a store outage raises (the server stopped or restarting, the disk gone, a lock held
# past the busy wait): what code that can go on without the store catches (issue 21).
STORE_ERRORS: Final = (SQLAlchemyError, OSError)

_Item = TypeVar("_Item")

# Any constant works; it only has to be the same in every process that migrates.
_PG_MIGRATION_LOCK = 0x686F746C  # "hotl"


class UnknownSchema(RuntimeError):
    """The database is at a schema revision this hotline does not know: a newer hotline
    migrated it.  Migrating (or running on) it could damage data, so nothing runs."""

    def __init__(self, revision: str, head: str | None) -> None:
        super().__init__(
            f"the database is at schema revision {revision}, newer than any this hotline "
            f"knows (its newest is {head}); install the hotline version that migrated it, "
            "or restore a backup made with this one"
        )
        self.revision = revision


class Database:
    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        busy_seconds: float = 5.0,
        pool_size: int | None = None,
        pool_overflow: int | None = None,
    ) -> None:
        """``busy_seconds``: how long a SQLite statement waits for a lock another connection
        holds (SQLite's busy handler retries within it) before "database is locked";
        ``pool_size``, ``pool_overflow``: the pool's (None: by backend, ``StoreSettings``)."""
        self.url: URL = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        options: dict[str, Any] = {"echo": echo}
        if self.url.database not in (None, "", ":memory:"):  # not SQLite's one-connection pool
            default_size, default_overflow = SQLITE_POOL if self.is_sqlite else SERVER_POOL
            options["pool_size"] = default_size if pool_size is None else pool_size
            options["max_overflow"] = default_overflow if pool_overflow is None else pool_overflow
        if self.is_sqlite:
            _make_parent_dir(self.url)
            # The pool's rollback on return is a hop to aiosqlite's thread even after a commit
            # left nothing to roll back (every session ends so): _reset_sqlite rolls back only
            # an open transaction (issue 19 item 1).
            options["pool_reset_on_return"] = None
            if self.url.get_driver_name() == "aiosqlite":
                # A statement in one hop to aiosqlite's thread, not four (issue 19 item 1).
                options["module"] = onehop_dbapi()
        else:
            # Server restarts and idle timeouts leave dead pooled connections behind.
            options["pool_pre_ping"] = True
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            event.listen(
                self.engine.sync_engine,
                "connect",
                functools.partial(_set_sqlite_pragmas, busy_ms=round(busy_seconds * 1000)),
            )
            event.listen(self.engine.sync_engine, "reset", _reset_sqlite)
        # SQLite: this process's write transactions take turns here, not in the busy handler.
        self.write_gate: WriteGate | None = WriteGate(busy_seconds) if self.is_sqlite else None
        if self.write_gate is not None:
            install(self.engine, self.write_gate)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(
            settings.database_url,
            echo=settings.store.echo,
            busy_seconds=settings.resilience.sqlite_busy_seconds,
            pool_size=settings.store.pool_size,
            pool_overflow=settings.store.pool_overflow,
        )

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits when the block ends, rolls back if it raises."""
        async with self._sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.dispose()

    # --- migrations ----------------------------------------------------------------------------

    async def current_revision(self) -> str | None:
        async with self.engine.connect() as conn:
            return await conn.run_sync(_current_revision)

    async def upgrade(self, revision: str = "head") -> str | None:
        """Migrate to ``revision`` (default: the newest); returns the revision now in effect.

        Cheap when already there: one query, no Alembic run.  Concurrent callers (engine and
        CLI starting together) are serialised by a database lock.  A database at a revision
        this hotline does not know raises :class:`UnknownSchema` and is left as it is.
        """
        current = await self.current_revision()
        if current is not None and not await known_revision(current):
            raise UnknownSchema(current, await head_revision())
        if revision == "head" and current is not None and current == await head_revision():
            return current
        await self._alembic(lambda config: _command("upgrade")(config, revision))
        return await self.current_revision()

    async def downgrade(self, revision: str = "base") -> str | None:
        await self._alembic(lambda config: _command("downgrade")(config, revision))
        return await self.current_revision()

    async def _alembic(self, run: Callable[[Config], None]) -> None:
        # Alembic is synchronous: run_sync drives it on our async connection (greenlet), so
        # its database I/O does not block the event loop.
        async with self.engine.begin() as conn:
            await take_migration_lock(conn)
            await conn.run_sync(_run_with_connection, run)


async def head_revision() -> str | None:
    # Reading the revision scripts is file I/O: keep it off the event loop.
    return await asyncio.to_thread(_head_revision)


async def known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of the migrations shipped with this hotline."""
    return revision in await asyncio.to_thread(_known_revisions)


async def take_migration_lock(conn: AsyncConnection) -> None:
    """Hold an exclusive lock until ``conn``'s transaction ends, so one migrator runs at once."""
    if conn.dialect.name == "sqlite":
        # pysqlite has not begun a transaction yet (it only does so before DML); IMMEDIATE
        # takes the write lock now and makes the whole migration one transaction.
        await conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})


def alembic_config() -> Config:
    _quiet_alembic()  # before the import: importing Alembic already logs
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@functools.cache
def _head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@functools.cache
def _known_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(rev.revision for rev in script.walk_revisions("base", "heads"))


def _command(name: str) -> Callable[[Config, str], None]:
    from alembic import command

    func: Callable[[Config, str], None] = getattr(command, name)
    return func


class _AlembicChatter(logging.Filter):
    """Drops the INFO lines Alembic writes every time it merely looks at a database; what it
    changes ("Running upgrade ...") still gets through."""

    _NOISE = ("Context impl %s.", "Will assume %s DDL.", "setup plugin %s")

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in self._NOISE


@functools.cache
def _quiet_alembic() -> None:
    for name in ("alembic.runtime.migration", "alembic.runtime.plugins"):
        logging.getLogger(name).addFilter(_AlembicChatter())


def _run_with_connection(connection: Connection, run: Callable[[Config], None]) -> None:
    config = alembic_config()
    # env.py migrates on this connection instead of opening its own.
    config.attributes["connection"] = connection
    run(config)


def _current_revision(connection: Connection) -> str | None:
    _quiet_alembic()
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _make_parent_dir(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Personal data: the file 0600 (SQLite gives its -wal and -shm files the same mode).
    touch_private(path)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any, *, busy_ms: int) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in (f"busy_timeout={busy_ms}", *SQLITE_PRAGMAS):
            try:
                cursor.execute(f"PRAGMA {pragma}")
            except sqlite3.OperationalError as exc:
                # Switching a new, still empty file to WAL needs an exclusive lock and does not
                # wait for it.  The lock holder is another of our connections creating the
                # file in WAL mode; WAL is recorded in the file, and this connection takes it
                # up by itself once that transaction commits.
                if not pragma.startswith("journal_mode") or "locked" not in str(exc):
                    raise
                log.debug("%s: file busy, WAL left to the connection creating it", pragma)
    finally:
        cursor.close()


def _reset_sqlite(dbapi_connection: Any, _record: Any, state: PoolResetState) -> None:
    """The pool's reset of a SQLite connection (``pool_reset_on_return=None``): roll back
    only when a transaction is open, so a connection returned after its commit goes back to
    the pool without a round trip to aiosqlite's thread."""
    if not state.asyncio_safe:
        return  # garbage-collected outside the loop: the pool discards the connection
    if sqlite_in_transaction(dbapi_connection):
        dbapi_connection.rollback()


def sqlite_in_transaction(dbapi_connection: Any) -> bool:
    """Whether SQLAlchemy's adapted aiosqlite connection has a transaction open.  Read on the
    loop's thread: sqlite3's ``in_transaction`` runs no statement and checks no thread, and
    nothing runs on a connection the pool is taking back."""
    raw = dbapi_connection._connection._connection  # aiosqlite's, then its sqlite3.Connection
    return raw is not None and bool(raw.in_transaction)


def dialect_insert(db: Database) -> type[sqlite.Insert] | type[postgresql.Insert]:
    """The INSERT construct with ``on_conflict_do_update`` for the database's dialect: the
    upserts are written once for SQLite and PostgreSQL, the two dialects the store supports."""
    name = db.engine.dialect.name
    if name == "sqlite":
        return sqlite.Insert
    if name == "postgresql":
        return postgresql.Insert
    raise NotImplementedError(f"the store does not support {name}")


def batches(items: Sequence[_Item], size: int = BATCH_ROWS) -> list[Sequence[_Item]]:
    """``items`` in consecutive slices of at most ``size`` (see :data:`BATCH_ROWS`)."""
    return [items[start : start + size] for start in range(0, len(items), size)]
