"""Log-in attempts counted per key, atomically in the database.  Policy (which keys, the limits,
what a success releases) lives in ``hotline.access.users``; this module only reads and writes
rows.

An attempt is *reserved* before the password is verified: one UPDATE that counts it only if
the key is not locked, and sets the lock when the count reaches the limit.  Parallel guesses
are serialised by the row (PostgreSQL) or the write lock (SQLite), so no more than ``limit``
of them get through between two locks, however many arrive at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, delete, literal, or_, select, update

from hotline.store.db import Database, dialect_insert
from hotline.store.models import LoginThrottle
from hotline.store.types import UtcDateTime


@dataclass(frozen=True)
class Reservation:
    key: str
    granted: bool
    number: int  # the attempt's place in the current window (0 when refused)
    locked_until: datetime | None


class LoginThrottleStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def reserve(
        self, key: str, limit: int, now: datetime, window_start_before: datetime, lock: datetime
    ) -> Reservation:
        """Count one attempt on ``key`` unless it is locked.  A window older than
        ``window_start_before`` or an expired lock starts the count again; the attempt that
        reaches ``limit`` locks the key until ``lock``."""
        table = LoginThrottle
        insert = dialect_insert(self._db)(table).values(
            key=key, attempts=0, window_start=now, locked_until=None
        )
        restart = or_(
            and_(table.locked_until.is_not(None), table.locked_until <= now),
            table.window_start <= window_start_before,
        )
        lock_value = literal(lock, UtcDateTime())
        no_lock = literal(None, UtcDateTime())
        statement = (
            update(table)
            .where(
                table.key == key,
                or_(table.locked_until.is_(None), table.locked_until <= now),
            )
            .values(
                attempts=case((restart, 1), else_=table.attempts + 1),
                window_start=case(
                    (restart, literal(now, UtcDateTime())), else_=table.window_start
                ),
                locked_until=case(
                    (restart, lock_value if limit <= 1 else no_lock),
                    (table.attempts + 1 >= limit, lock_value),
                    else_=no_lock,
                ),
            )
            .returning(table.attempts, table.locked_until)
        )
        async with self._db.session() as session:
            await session.execute(insert.on_conflict_do_nothing(index_elements=[table.key]))
            row = (await session.execute(statement)).first()
            if row is not None:
                return Reservation(key, True, int(row[0]), row[1])
            locked = await session.scalar(select(table.locked_until).where(table.key == key))
            return Reservation(key, False, 0, locked)

    async def release(self, reservation: Reservation, *, forget_failures: bool) -> datetime | None:
        """A reserved attempt succeeded: it no longer counts.  If nobody reserved after it, the
        lock it may have set is lifted (and, with ``forget_failures``, the failures before it
        are forgotten); a lock that later, concurrent attempts set stays.  Returns the lock
        left on the key, if any."""
        table = LoginThrottle
        last = table.attempts == reservation.number
        statement = (
            update(table)
            .where(table.key == reservation.key, table.attempts >= 1)
            .values(
                attempts=case((last, 0), else_=table.attempts - 1)
                if forget_failures
                else table.attempts - 1,
                locked_until=case((last, literal(None, UtcDateTime())), else_=table.locked_until),
            )
            .returning(table.locked_until)
        )
        async with self._db.session() as session:
            row = (await session.execute(statement)).first()
            return None if row is None else row[0]

    async def locked_until(self, key: str) -> datetime | None:
        async with self._db.session() as session:
            found: datetime | None = await session.scalar(
                select(LoginThrottle.locked_until).where(LoginThrottle.key == key)
            )
            return found

    async def clear(self, key: str) -> None:
        async with self._db.session() as session:
            await session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))

    async def purge(self, now: datetime, window_start_before: datetime) -> None:
        """Forget keys whose window has passed and that are not locked (names typed once)."""
        table = LoginThrottle
        async with self._db.session() as session:
            await session.execute(
                delete(table).where(
                    table.window_start <= window_start_before,
                    or_(table.locked_until.is_(None), table.locked_until <= now),
                )
            )
