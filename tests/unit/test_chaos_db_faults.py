"""Issue 21 item 3: a meter reading under a busy SQLite database.  Another connection (the
console writing its session rows, an import) holds the write lock: the reading waits for it
within ``resilience.sqlite_busy_seconds`` and is then committed and confirmed; held longer,
the reading fails, nothing is stored and the caller never hears «принято» (the handler's
error sends the call to the dialplan's fallback, the operator queue)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy.exc import OperationalError

from hotline.settings import Settings, load_settings
from hotline.store.accounts import AccountRecord, AccountStore, MeterRecord, ReadingStore
from hotline.store.db import Database
from ivr import prompts
from ivr.call import IvrCall
from ivr.dialog import Next, Outcome
from ivr.readings import take_readings
from tests.unit.test_identify_and_rules import ONE, ScriptedCaller

NOW = dt.datetime(2026, 11, 24, 3, tzinfo=dt.UTC)
ACCOUNT = AccountRecord(
    ONE, "", "", "Asia/Krasnoyarsk", Decimal(0), None, None, None, None, (),
    (MeterRecord("A", 1, 5, (100,), None),),
)  # fmt: skip


class Caller(ScriptedCaller):
    call_id = "c1"

    async def reading_committed(self, label: str, detail: Any) -> None:
        pass


@contextmanager
def write_lock_held(path: Path, seconds: float) -> Iterator[None]:
    """Another connection takes SQLite's write lock and keeps it ``seconds``."""
    taken = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            taken.set()
            threading.Event().wait(seconds)
            conn.execute("COMMIT")
        finally:
            conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(10)
    try:
        yield
    finally:
        thread.join(30)


async def database(path: Path, busy_seconds: float) -> Database:
    db = Database(f"sqlite+aiosqlite:///{path}", busy_seconds=busy_seconds)
    await db.upgrade()
    await AccountStore(db).upsert([ACCOUNT])
    return db


@pytest.fixture
def settings() -> Settings:
    return load_settings(environ={})


async def test_a_reading_waits_for_a_lock_held_within_the_bound(
    tmp_path: Path, settings: Settings
) -> None:
    path = tmp_path / "h.db"
    db = await database(path, busy_seconds=10.0)
    try:
        caller = Caller(None, typed=["150"], keys=["1"])
        with write_lock_held(path, 1.0):
            outcome = await take_readings(
                cast(IvrCall, caller), ACCOUNT, ReadingStore(db), settings, lambda: NOW
            )
        assert outcome == Outcome(Next.GOODBYE)
        assert prompts.READING_ACCEPTED in caller.heard
        assert len(await ReadingStore(db).history(ONE)) == 1
    finally:
        await db.dispose()


async def test_a_lock_held_past_the_bound_confirms_nothing(
    tmp_path: Path, settings: Settings
) -> None:
    path = tmp_path / "h.db"
    db = await database(path, busy_seconds=0.2)
    try:
        caller = Caller(None, typed=["150"], keys=["1"])
        with write_lock_held(path, 3.0), pytest.raises(OperationalError, match="locked"):
            await take_readings(
                cast(IvrCall, caller), ACCOUNT, ReadingStore(db), settings, lambda: NOW
            )
        assert prompts.READING_ACCEPTED not in caller.heard
        assert await ReadingStore(db).history(ONE) == []
    finally:
        await db.dispose()


def test_the_busy_wait_is_a_setting_with_the_old_default() -> None:
    settings = load_settings(environ={}, overrides={"resilience": {"sqlite_busy_seconds": 2.5}})
    assert settings.resilience.sqlite_busy_seconds == 2.5
    assert load_settings(environ={}).resilience.sqlite_busy_seconds == 5.0


async def test_the_setting_reaches_sqlite(tmp_path: Path) -> None:
    settings = load_settings(
        environ={},
        overrides={
            "resilience": {"sqlite_busy_seconds": 2.5},
            "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"},
        },
    )
    async with Database.from_settings(settings) as db, db.session() as session:
        busy = await session.connection()
        value = (await busy.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
    assert value == 2500
