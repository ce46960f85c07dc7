"""A durable local spool for writes held while the store is away (issue 21).

The call tracker and the event writer hold what the store refuses (a call's row, its end and
outcome; call events) until it is back.  Held in memory only, a SIGKILL during the outage lost
them (the 60-minute soak of round 4: 7 inbound calls without a row).  Each holder now also
appends what it holds here, before it goes on, and deletes it once the store has it; on start
the holder reads the spool back, in the order written, and writes it again idempotently.

A small SQLite file per engine and holder rather than an append-only JSONL file: a commit with
``synchronous=FULL`` is durable once it returns (the WAL is fsync'd), a torn last line cannot
happen, and one entry is updated (a held row gains its answer and end) or deleted (written)
in place by its key, where a JSONL file would need rewriting or compaction.  The stdlib's
``sqlite3`` is blocking, so every call runs in a worker thread, one at a time.

Personal data (callers' numbers, digits) is in the entries: the folder is made mode 0700 and
the file 0600, readable by the engine's user only (as the recordings are).  The spool is
bounded (``held_writes.spool_max_mb``): over it a write is still held in memory, but not
spooled, logged (masked by the caller) and counted (``hotline_held_writes_unspooled``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy.engine import make_url

from hotline.core.metrics import HELD_WRITES_UNSPOOLED

if TYPE_CHECKING:
    from hotline.settings import Settings

log = logging.getLogger(__name__)

DIR_MODE: Final = 0o700
FILE_MODE: Final = 0o600
# The spool's name for each holder (one file each: they replay on their own).
CALL_TRACKER: Final = "call-tracker"
CALL_EVENTS: Final = "call-events"
_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS held ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, payload TEXT NOT NULL)"
)


class HeldSpool:
    """Entries (a key, a JSON payload) kept on local disk in the order first written."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    @classmethod
    def from_settings(cls, settings: Settings, holder: str) -> HeldSpool:
        """This engine's spool for ``holder`` (``held_writes.spool_dir``, else ``held`` in
        ``paths.data_dir``): named by ``workers.name`` when several engines share a host, and
        by the store (a digest of its URL less the password), so what was held for one store
        is never written to another (a test's engine, a store moved elsewhere)."""
        held = settings.held_writes
        folder = held.spool_dir or settings.paths.data_dir / "held"
        # Without the password: a rotated one must not orphan what was held.
        url = make_url(settings.database_url).set(password=None).render_as_string()
        store = hashlib.sha256(url.encode()).hexdigest()[:12]
        name = f"{holder}-{store}"
        if settings.workers.name:
            name = f"{settings.workers.name}-{name}"
        return cls(folder / f"{name}.sqlite", int(held.spool_max_mb * 1024 * 1024))

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            folder = self.path.parent
            try:
                folder.mkdir(parents=True, mode=DIR_MODE)
                os.chmod(folder, DIR_MODE)  # mkdir's mode is masked by the umask
            except FileExistsError:
                if folder.stat().st_mode & 0o077:
                    # A folder given in the settings is not re-moded (it may hold what
                    # others need); the files in it are 0600 all the same.
                    log.warning("held writes spool folder %s is readable by others", folder)
            # Created 0600 before SQLite opens it: its WAL and shared-memory files take the
            # database file's mode.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE))
            os.chmod(self.path, FILE_MODE)
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # a commit is on disk when it returns
            db.execute(_SCHEMA)
            self._db = db
        return self._db

    def _used(self, db: sqlite3.Connection) -> int:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        size: int = db.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)

    def _put(self, items: list[tuple[str, str]]) -> bool:
        with self._lock:
            db = self._connect()
            if self._used(db) + sum(len(k) + len(p) for k, p in items) > self._max_bytes:
                return False
            with db:  # one transaction, one fsync, for the lot
                db.execute("BEGIN")
                db.executemany(
                    "INSERT INTO held (key, payload) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET payload = excluded.payload",
                    items,
                )
            return True

    def _delete(self, keys: list[str]) -> None:
        with self._lock:
            db = self._connect()
            with db:
                db.execute("BEGIN")
                db.executemany("DELETE FROM held WHERE key = ?", [(key,) for key in keys])
            if db.execute("SELECT 1 FROM held LIMIT 1").fetchone() is None:
                # Emptied: the file goes back to its first size (truncated).
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _entries(self) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            if self._db is None and not self.path.exists():
                return []  # nothing was ever held: no file made for it
            rows = self._connect().execute("SELECT key, payload FROM held ORDER BY seq").fetchall()
        return [(key, json.loads(payload)) for key, payload in rows]

    async def put(self, items: Iterable[tuple[str, dict[str, Any]]], what: str) -> bool:
        """Spool (or update by key) ``items`` in one durable commit; False, logged as
        ``what`` (the caller masks it) and counted, when that would pass the bound."""
        rows = [(key, json.dumps(payload, ensure_ascii=False)) for key, payload in items]
        if not rows:
            return True
        try:
            if await asyncio.to_thread(self._put, rows):
                return True
        except (sqlite3.Error, OSError) as exc:  # the local disk failed: still held in memory
            HELD_WRITES_UNSPOOLED.inc(len(rows))
            log.error(
                "held writes spool %s failed (%s): %s held in memory only",
                self.path.name,
                exc,
                what,
            )
            return False
        HELD_WRITES_UNSPOOLED.inc(len(rows))
        log.error("held writes spool %s is full: %s held in memory only", self.path.name, what)
        return False

    async def delete(self, keys: Iterable[str]) -> None:
        """Forget entries the store now has."""
        wanted = list(keys)
        if wanted:
            try:
                await asyncio.to_thread(self._delete, wanted)
            except (sqlite3.Error, OSError) as exc:  # replayed again later: idempotent
                log.error("held writes spool %s: could not delete (%s)", self.path.name, exc)

    async def entries(self) -> list[tuple[str, dict[str, Any]]]:
        """Every entry, in the order first spooled (the holder's replay on start)."""
        return await asyncio.to_thread(self._entries)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
