"""One write transaction at a time per SQLite database in this process, taken in turn here.

SQLite has one write lock per file.  Without this gate the engine's writers (the dialer's
round writes and marks, the event writer, the call tracker, the IVR's stores) met at that
lock, and the one that lost slept in SQLite's busy handler, which polls with growing sleeps
(up to 100 ms a try): a dialer mark waited a median 0.17 s, up to 1.9 s, behind the calls'
writes while its pacing slot passed (issue 19 item 6).  Here a write transaction waits for
its turn on an asyncio future and is woken the moment the previous one has committed or
rolled back; a write marked urgent (:func:`urgent_writes`, the dialer's marks) goes before
the others waiting.

Hooked into SQLAlchemy, so every write transaction of every store takes it without its code
knowing: the turn is taken before a connection's first writing statement (pysqlite begins
the transaction there too) and handed on right after the DBAPI commit or rollback (the
dialect's ``do_commit``/``do_rollback``; SQLAlchemy's ``commit`` event comes before the
commit, and a turn handed on then would meet the lock still held).  A connection returned
to the pool, closed or invalidated gives its turn back as well.  Reads take no turn (WAL).

The wait is bounded by ``resilience.sqlite_busy_seconds`` and then fails as SQLite's busy
wait does ("database is locked").  Other processes (the CLI, the console) still meet
SQLite's own lock: the connections keep their busy timeout.  Written by hand because
asyncio's locks have no priority and no owner other than a task, and the owner here is a
DBAPI connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from collections import deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only

log = logging.getLogger(__name__)

# The statements that take SQLite's write lock (pysqlite begins a transaction before DML);
# a compiled INSERT/UPDATE/DELETE is recognised by its context, whatever its text begins with.
_WRITES: Final = re.compile(
    r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|BEGIN\s+(IMMEDIATE|EXCLUSIVE))\b",
    re.IGNORECASE,
)
# The pool events after which a connection holds no transaction (it may still be this turn's).
_POOL_ENDS: Final = (
    "checkin",
    "close",
    "close_detached",
    "detach",
    "invalidate",
    "soft_invalidate",
)

_urgent: ContextVar[bool] = ContextVar("hotline_urgent_write", default=False)

# A connection waiting for the turn: the connection, its wake-up, its task.
_Waiter = tuple[object, "asyncio.Future[None]", "asyncio.Task[Any] | None"]


@contextlib.contextmanager
def urgent_writes() -> Iterator[None]:
    """Write transactions begun in this block go before the others waiting for their turn
    (the dialer's marks: an Originate's pacing slot is passing while they wait)."""
    token = _urgent.set(True)
    try:
        yield
    finally:
        _urgent.reset(token)


class WriteGate:
    """The write turn of one SQLite database, owned by a DBAPI connection until it commits."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._holder: object | None = None
        self._task: asyncio.Task[Any] | None = None  # the holder's task
        self._urgent: deque[_Waiter] = deque()
        self._others: deque[_Waiter] = deque()
        self.turns = 0  # turns granted
        self.waits = 0  # turns that waited for another connection's commit

    @property
    def held(self) -> bool:
        return self._holder is not None

    @property
    def waiting(self) -> int:
        return sum(not future.done() for _, future, _ in (*self._urgent, *self._others))

    def holds(self, owner: object) -> bool:
        return self._holder is owner

    async def acquire(self, owner: object, *, urgent: bool = False) -> None:
        """The turn for ``owner``; raises sqlite3's "database is locked" after the timeout."""
        if self._holder is owner:
            return
        self.turns += 1
        if self._task is not None and self._task.done():
            # A connection dropped without a commit, rollback or pool event reaching us
            # (SQLite let its lock go with it): the turn must not stay with a finished task.
            log.warning("store: a write turn left by a finished task is taken back")
            self.release(self._holder)
        task = asyncio.current_task()
        if self._holder is None and not self.waiting:
            self._holder, self._task = owner, task
            return
        self.waits += 1
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._others
        entry = (owner, future, task)
        queue.append(entry)
        try:
            async with asyncio.timeout(self._timeout):
                await future
        except BaseException as exc:
            if future.done() and not future.cancelled():
                self.release(owner)  # granted as it gave up: the turn goes on
            else:
                with contextlib.suppress(ValueError):
                    queue.remove(entry)
            if isinstance(exc, TimeoutError):
                raise sqlite3.OperationalError("database is locked") from None
            raise

    def release(self, owner: object) -> None:
        """End ``owner``'s turn (if it has it) and hand it to the next waiting, urgent first."""
        if self._holder is not owner:
            return
        self._holder = self._task = None
        for queue in (self._urgent, self._others):
            while queue:
                waiter, future, task = queue.popleft()
                if not future.done():
                    self._holder, self._task = waiter, task
                    future.set_result(None)
                    return


def install(engine: AsyncEngine, gate: WriteGate) -> None:
    """Make every write transaction on ``engine`` (SQLite) take its turn at ``gate``."""
    sync_engine = engine.sync_engine

    def before_execute(
        conn: Connection,
        _cursor: Any,
        statement: str,
        parameters: Any,
        context: DefaultExecutionContext | None,
        _many: bool,
    ) -> tuple[str, Any]:
        owner = _owner(conn.connection)
        if not gate.holds(owner) and _writes(statement, context):
            # Inside SQLAlchemy's greenlet: awaiting here suspends the calling task only.
            await_only(gate.acquire(owner, urgent=_urgent.get()))
        return statement, parameters

    event.listen(sync_engine, "before_cursor_execute", before_execute, retval=True)
    dialect = sync_engine.dialect
    # Wrapped on this engine's dialect instance (no event comes after the DBAPI commit).
    for name in ("do_commit", "do_rollback"):
        setattr(dialect, name, _then_release(getattr(dialect, name), gate))
    for name in _POOL_ENDS:
        event.listen(sync_engine.pool, name, lambda dbapi_conn, *_: gate.release(dbapi_conn))


def _then_release(end: Callable[[Any], None], gate: WriteGate) -> Callable[[Any], None]:
    def ended(connection: Any) -> None:
        try:
            end(connection)
        finally:
            gate.release(_owner(connection))

    return ended


def _owner(connection: Any) -> object:
    """The DBAPI connection behind a pool's proxy (or itself)."""
    return getattr(connection, "dbapi_connection", None) or connection


def _writes(statement: str, context: DefaultExecutionContext | None) -> bool:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return True
    return _WRITES.match(statement) is not None
