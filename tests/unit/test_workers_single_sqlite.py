"""SQLite holds one engine worker (issue 20): a second is refused with a clear message, the
lock goes with the process, and ``hotline doctor`` says how workers stand."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.doctor.checks import Status
from hotline.doctor.workers import WorkerFacts, check_workers
from hotline.settings import WorkerSettings
from hotline.store.db import Database
from hotline.store.workers import (
    SecondWorkerOnSqlite,
    hold_sqlite_engine_lock,
    sqlite_engine_running,
    worker_name,
)


async def test_a_second_worker_on_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    first, second = (Database(f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}") for _ in "ab")
    try:
        assert sqlite_engine_running(first) is None
        with hold_sqlite_engine_lock(first):
            assert sqlite_engine_running(second) is not None
            with pytest.raises(SecondWorkerOnSqlite) as refused, hold_sqlite_engine_lock(second):
                pass
            message = str(refused.value)
            assert "SQLite holds one engine worker" in message
            assert "PostgreSQL" in message and "hotline.db" in message
        # Released with the first engine: the next one starts.
        with hold_sqlite_engine_lock(second):
            pass
        assert sqlite_engine_running(first) is None
    finally:
        await first.dispose()
        await second.dispose()


async def test_postgresql_takes_no_file_lock() -> None:
    db = Database("postgresql+psycopg://u:p@127.0.0.1:1/x")
    with hold_sqlite_engine_lock(db), hold_sqlite_engine_lock(db):
        pass
    await db.dispose()


def test_worker_name_is_the_setting_or_the_host() -> None:
    assert worker_name(WorkerSettings(), "pbx-host") == "pbx-host"
    assert worker_name(WorkerSettings(name="w2"), "pbx-host") == "w2"


def test_doctor_says_how_workers_stand() -> None:
    single = check_workers(WorkerFacts(sqlite=True, sqlite_holder="pid 42"))
    assert single.status is Status.OK
    assert "pid 42" in single.message and "second `hotline run` is refused" in single.message
    two = [("w1", "pbx1", 1.0, True), ("w2", "pbx2", 2.0, True)]
    assert check_workers(WorkerFacts(sqlite=False, workers=two)).status is Status.OK
    dead = check_workers(WorkerFacts(sqlite=False, workers=[*two[:1], ("w2", "pbx2", 60.0, True)]))
    assert dead.status is Status.WARNING and "w2" in dead.message and "adopted" in dead.message
    down = check_workers(WorkerFacts(sqlite=False, workers=[*two[:1], ("w2", "pbx2", 1.0, False)]))
    assert down.status is Status.WARNING and "pbx2" in down.message
