"""Several engine workers on one database (issue 20): the worker registry (who runs, seen
when, with its AMI up or not) and the calls-per-second slots every worker takes from.

SQLite holds one worker: :func:`hold_sqlite_engine_lock` refuses a second ``hotline run`` on
the same file with a clear message (the lock is the kernel's, so it goes with the process).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Final

from sqlalchemy import delete, select, text, update

from hotline.settings import WorkerSettings
from hotline.store.db import Database, dialect_insert
from hotline.store.models import DialerPacing, EngineWorker

# The shared pacing row of the global calls-per-second cap.
PACING_CPS: Final = "calls_per_second"


# Why a second worker (or a cluster of them) is refused on SQLite, and what to do instead.
ONE_WORKER_ON_SQLITE: Final = (
    "SQLite holds one engine worker: run several workers on PostgreSQL "
    "(database_url = postgresql+psycopg://...)"
)


class SecondWorkerOnSqlite(RuntimeError):
    """Another engine already runs on this SQLite database."""

    def __init__(self, database: str, holder: str) -> None:
        super().__init__(
            f"another hotline engine ({holder}) already runs on the SQLite database "
            f"{database}. Stop it first. {ONE_WORKER_ON_SQLITE}"
        )


def sqlite_lock_path(db: Database) -> Path | None:
    """The lock file beside a SQLite database file (None: not a file, or not SQLite)."""
    database = db.url.database
    if not db.is_sqlite or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    path = Path(database).expanduser()
    return path.with_name(path.name + ".engine.lock")


@contextlib.contextmanager
def hold_sqlite_engine_lock(db: Database) -> Iterator[None]:
    """Held while the engine runs on a SQLite file; a second engine gets
    :class:`SecondWorkerOnSqlite`.  Nothing to hold on PostgreSQL."""
    path = sqlite_lock_path(db)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[str] = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown process"
            raise SecondWorkerOnSqlite(str(path.with_suffix("")), holder) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()  # closing drops the lock


def sqlite_engine_running(db: Database) -> str | None:
    """Who holds the SQLite engine lock (None: nobody, or not SQLite): for ``doctor``."""
    path = sqlite_lock_path(db)
    if path is None or not path.exists():
        return None
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            return handle.read().strip() or "unknown process"
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return None


@dataclass(frozen=True)
class WorkerRecord:
    name: str
    host: str
    pid: int
    node: str
    started_at: datetime
    seen_at: datetime
    ami_up: bool

    def alive(self, now: datetime, dead_after: timedelta) -> bool:
        return now - self.seen_at < dead_after


class WorkerRegistry:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def register(self, name: str, host: str, pid: int, node: str, now: datetime) -> None:
        insert = dialect_insert(self._db)
        values = {
            "name": name,
            "host": host,
            "pid": pid,
            "node": node,
            "started_at": now,
            "seen_at": now,
            "ami_up": False,
        }
        statement = insert(EngineWorker).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[EngineWorker.name],
            set_={k: v for k, v in values.items() if k != "name"},
        )
        async with self._db.session() as session:
            await session.execute(statement)

    async def heartbeat(self, name: str, now: datetime, *, ami_up: bool) -> None:
        async with self._db.session() as session:
            await session.execute(
                update(EngineWorker)
                .where(EngineWorker.name == name)
                .values(seen_at=now, ami_up=ami_up)
            )

    async def remove(self, name: str) -> None:
        async with self._db.session() as session:
            await session.execute(delete(EngineWorker).where(EngineWorker.name == name))

    async def all(self) -> list[WorkerRecord]:
        async with self._db.session() as session:
            rows = (
                await session.execute(select(EngineWorker).order_by(EngineWorker.name))
            ).scalars()
            return [
                WorkerRecord(
                    r.name, r.host, r.pid, r.node, r.started_at, r.seen_at, bool(r.ami_up)
                )
                for r in rows
            ]


# One statement takes the next slot: the row lock serialises concurrent takers, and each sees
# the slot the one before it moved on (READ COMMITTED re-reads the updated row).  The slot is
# measured on the database server's clock, so the workers' own clocks may differ.
_TAKE_SLOT_PG: Final = text(
    """
    UPDATE dialer_pacing
       SET next_at = GREATEST(next_at, EXTRACT(EPOCH FROM clock_timestamp())) + :interval
     WHERE name = :name
       AND next_at <= EXTRACT(EPOCH FROM clock_timestamp()) + :horizon
    RETURNING next_at - :interval - EXTRACT(EPOCH FROM clock_timestamp())
    """
)


class SharedPacer:
    """The calls-per-second cap shared by every worker on PostgreSQL: a row per cap holding
    the next free Originate slot.  ``take`` books one slot and says how long to wait for it."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def take(self, name: str, interval: float, horizon: float) -> float | None:
        """Seconds until the booked slot (0: now); None when the next free slot is further
        than ``horizon`` seconds away (nothing booked)."""
        async with self._db.session() as session:
            waited = (
                await session.execute(
                    _TAKE_SLOT_PG, {"name": name, "interval": interval, "horizon": horizon}
                )
            ).scalar_one_or_none()
            if waited is None:  # no row yet (the first take), or no slot in the horizon
                await session.execute(
                    dialect_insert(self._db)(DialerPacing)
                    .values(name=name, next_at=0.0)
                    .on_conflict_do_nothing()
                )
                waited = (
                    await session.execute(
                        _TAKE_SLOT_PG, {"name": name, "interval": interval, "horizon": horizon}
                    )
                ).scalar_one_or_none()
                if waited is None:
                    return None
        return max(0.0, float(waited))

    async def take_many(
        self, name: str, interval: float, horizon: float, count: int
    ) -> list[float]:
        """Book up to ``count`` consecutive slots at once (a dispatcher batch, issue 19):
        seconds until each, the first at most ``horizon`` seconds away and none beyond it;
        fewer (or none) when the slots within the horizon run out.  The row lock serialises
        concurrent takers; the slots are measured on the server's clock once it is held."""
        if count <= 0:
            return []
        async with self._db.session() as session:
            next_at = (await session.execute(_LOCK_PACING, {"name": name})).scalar_one_or_none()
            if next_at is None:
                await session.execute(
                    dialect_insert(self._db)(DialerPacing)
                    .values(name=name, next_at=0.0)
                    .on_conflict_do_nothing()
                )
                next_at = (await session.execute(_LOCK_PACING, {"name": name})).scalar_one()
            now = float((await session.execute(_SERVER_CLOCK)).scalar_one())
            start = max(float(next_at), now)
            if start > now + horizon:
                return []
            booked = min(count, int((now + horizon - start) / interval) + 1)
            await session.execute(
                update(DialerPacing)
                .where(DialerPacing.name == name)
                .values(next_at=start + booked * interval)
            )
        return [max(0.0, start - now + i * interval) for i in range(booked)]

    async def free_slots(self, name: str, interval: float, horizon: float) -> int:
        """How many slots are free from now within ``horizon`` seconds (read only, so an
        estimate: another worker may book some before this one does)."""
        async with self._db.session() as session:
            row = (await session.execute(_PEEK_PACING, {"name": name})).one_or_none()
        if row is None:  # no row yet: nobody has booked a slot
            return int(horizon / interval) + 1
        next_at, now = float(row[0]), float(row[1])
        start = max(next_at, now)
        return 0 if start > now + horizon else int((now + horizon - start) / interval) + 1


_LOCK_PACING: Final = text("SELECT next_at FROM dialer_pacing WHERE name = :name FOR UPDATE")
_SERVER_CLOCK: Final = text("SELECT EXTRACT(EPOCH FROM clock_timestamp())")
_PEEK_PACING: Final = text(
    "SELECT next_at, EXTRACT(EPOCH FROM clock_timestamp()) FROM dialer_pacing WHERE name = :name"
)


def worker_name(settings: WorkerSettings, host: str) -> str:
    """The configured name, else the host's: stable over restarts, so a restarted worker
    finds its own attempts in flight (two workers on one host need names of their own)."""
    return settings.name or host[:64]
