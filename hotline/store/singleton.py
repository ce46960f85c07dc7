"""Jobs that must run in exactly one engine worker (issue 20): the housekeeping scheduler,
the SMS outbox.  On PostgreSQL each job is elected with ``pg_try_advisory_lock`` on a
connection of its own, outside the pool (an advisory lock belongs to the session; a pooled
or pgbouncer-shared connection would hand it to someone else).  The worker holding it runs
the job; the others retry every ``retry`` seconds and take over when the holder dies (its
session ends, PostgreSQL drops the lock).  On SQLite there is one worker: it runs the job.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from hotline.store.db import Database

log = logging.getLogger(__name__)

# A job: runs until cancelled (cancelled when the lock is lost or the worker stops).
Job = Callable[[], Coroutine[Any, Any, None]]

# How often the holder checks that its lock's session still lives.
CHECK_SECONDS: Final = 2.0


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for a job name (the same in every worker)."""
    digest = hashlib.sha256(f"hotline-singleton:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Singleton:
    """Runs ``job`` in at most one worker at a time, and in some live worker always."""

    def __init__(self, db: Database, name: str, job: Job, *, retry: float) -> None:
        self._db = db
        self.name = name
        self._job = job
        self._retry = retry
        # Set while this worker holds the job (tests and the logs read it).
        self.held = asyncio.Event()

    async def run(self) -> None:
        """Until cancelled."""
        if self._db.is_sqlite:
            self.held.set()
            await self._job()
            return
        engine = create_async_engine(
            self._db.url, poolclass=NullPool, connect_args={"connect_timeout": 5}
        )
        try:
            while True:
                try:
                    async with engine.connect() as conn:
                        if await self._try_lock(conn):
                            await self._hold(conn)
                except asyncio.CancelledError:
                    raise
                except (SQLAlchemyError, OSError) as exc:
                    log.warning("singleton %s: store unreachable (%s)", self.name, exc)
                await asyncio.sleep(self._retry)
        finally:
            self.held.clear()
            await engine.dispose()

    async def _try_lock(self, conn: AsyncConnection) -> bool:
        got = await conn.scalar(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": lock_key(self.name)}
        )
        await conn.commit()  # the lock is the session's; end the reading transaction
        return bool(got)

    async def _hold(self, conn: AsyncConnection) -> None:
        """Run the job while the lock's session lives; stop it when the session is lost."""
        log.info("singleton %s: this worker runs it", self.name)
        self.held.set()
        job: asyncio.Task[None] = asyncio.create_task(self._job(), name=f"singleton-{self.name}")
        try:
            while not job.done():
                await asyncio.wait({job}, timeout=CHECK_SECONDS)
                if job.done():
                    break
                await conn.scalar(text("SELECT 1"))
                await conn.commit()
            job.result()  # a job that ended by itself: its error, or nothing
        finally:
            self.held.clear()
            if not job.done():
                job.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await job
            with contextlib.suppress(SQLAlchemyError, OSError):
                await conn.scalar(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(self.name)}
                )
            log.info("singleton %s: released by this worker", self.name)
