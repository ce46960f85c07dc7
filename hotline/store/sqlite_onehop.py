"""SQLite statements in one hop to aiosqlite's thread instead of four.

SQLAlchemy's aiosqlite adapter drives a statement as aiosqlite's own API does: a hop to
aiosqlite's thread to make a cursor, one to execute, one to fetch the rows and one to close
the cursor, each a queue put, a thread wake-up and a wake-up of the event loop through its
self-pipe.  A call's short transactions are mostly these hops: a ``select 1`` through
:meth:`Database.session` cost 0.70 ms of CPU, against 0.16 ms on the raw aiosqlite connection
(issue 19 item 1).  The cursor here does the four steps in one function run on aiosqlite's
thread, and keeps what SQLAlchemy reads afterwards (the description, the rows, the row count,
the last row id) on the adapter.

Only buffered cursors change: server-side cursors (``stream()``, the exports) fetch in
chunks and stay SQLAlchemy's.  Given to SQLAlchemy as the aiosqlite dialect's DBAPI module
(``create_async_engine(..., module=...)``), so the URL, the dialect and every event stay
SQLAlchemy's.  Written by hand because neither SQLAlchemy nor aiosqlite offers a cursor that
runs a statement in one call.  It uses two private names of aiosqlite's ``Connection``:
``_execute`` (queue a function on the connection's thread) and ``_conn`` (its sqlite3
connection); the tests (tests/store/test_sqlite_onehop.py) fail if an aiosqlite release
changes either.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

# What one run on aiosqlite's thread hands back: description, rows, row count, last row id.
_Outcome = tuple[Any, list[Any] | None, int, int | None]


def _execute(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    cursor = connection.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _executemany(
    connection: sqlite3.Connection, operation: str, parameters: Sequence[Any]
) -> _Outcome:
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, parameters)
        return cursor.description, None, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement is one run on aiosqlite's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # No cursor is made here (the base class makes one, a hop): each execute makes,
        # uses and closes its own on aiosqlite's thread.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    async def _async_soft_close(self) -> None:
        return  # the sqlite3 cursor was closed on aiosqlite's thread after its statement

    def close(self) -> None:
        self._rows.clear()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._run(_execute, operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._run(_executemany, operation, seq_of_parameters)

    async def _run(
        self, statement: Callable[[sqlite3.Connection, str, Any], _Outcome], *args: Any
    ) -> None:
        """``statement`` run on aiosqlite's thread with the sqlite3 connection: one hop."""
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        queue: Callable[..., Awaitable[_Outcome]] = connection._execute
        async with self._adapt_connection._execute_mutex:
            outcome = await queue(statement, connection._conn, *args)
        self._keep(outcome)

    def _keep(self, outcome: _Outcome) -> None:
        description, rows, self._rowcount, self._lastrowid = outcome
        self._description = description
        self._rows = collections.deque(rows) if rows else collections.deque()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor

    def commit(self) -> None:
        # pysqlite opens a transaction only before a write: a transaction that only read
        # has nothing to commit, and its commit would be a hop that does nothing.
        if self._idle():
            return
        super().commit()

    def rollback(self) -> None:
        if self._idle():
            return
        super().rollback()

    def _idle(self) -> bool:
        """No transaction open on the sqlite3 connection.  Read on the loop's thread: no
        statement of this connection is running (SQLAlchemy awaits each one), and
        ``in_transaction`` runs no statement and checks no thread."""
        raw: sqlite3.Connection | None = self._connection._connection
        return raw is not None and not raw.in_transaction


class OneHopDbapi(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI adapter with :class:`OneHopCursor` for buffered cursors."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def onehop_dbapi() -> OneHopDbapi:
    return OneHopDbapi(aiosqlite, sqlite3)
