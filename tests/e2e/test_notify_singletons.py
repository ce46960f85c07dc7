"""Singleton jobs over two engine workers on one PostgreSQL database (issue 20 item 2): the
recordings purge (housekeeping), the recordings index, callback assignment, the monthly
campaign schedules and webhook delivery each run in exactly one of the two, elected with
``pg_try_advisory_lock`` on a connection of the job's own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from hotline.app import Engine
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.singleton import lock_key
from tests.e2e.engine_support import engine_settings
from tests.e2e.web_support import free_port
from tests.store.conftest import PG_TEST_URL, clean_postgres

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

SECRET_ENV = "NOTIFY_TEST_HOOK_SECRET"
JOBS = ("housekeeping", "recordings-index", "callback-assign", "campaign-schedules", "webhooks")


def worker_settings(tmp_path: Path, name: str, fastagi_port: int | None = None) -> Settings:
    endpoint = {"name": "billing", "url": "http://127.0.0.1:9/hook", "secret_env": SECRET_ENV}
    settings = engine_settings(
        tmp_path / "unused.db",
        workers={"name": name, "singleton_retry_seconds": 0.2},
        callbacks={"auto_assign": True},
        resilience={"recordings_index_seconds": 3600},
        webhooks={"endpoints": [endpoint]},
        metrics={"enabled": False},
    )
    store = settings.store.model_copy(update={"url": PG_TEST_URL})
    fastagi = settings.fastagi.model_copy(update={"port": fastagi_port or settings.fastagi.port})
    return settings.model_copy(update={"store": store, "fastagi": fastagi})


@contextlib.asynccontextmanager
async def engine(settings: Settings) -> AsyncIterator[Engine]:
    worker = Engine(settings)
    await worker.start()
    try:
        yield worker
    finally:
        await worker.stop()


def holders(workers: tuple[Engine, Engine], job: str) -> list[str]:
    return [w.worker for w in workers if w.singletons[job].held.is_set()]


async def test_each_singleton_job_runs_in_one_worker(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, "notify-singletons-secret-0123456789")
    await clean_postgres(PG_TEST_URL)
    first = worker_settings(tmp_path, "w1")
    second = worker_settings(tmp_path, "w2", free_port())
    async with engine(first) as one, engine(second) as two:
        workers = (one, two)
        assert set(JOBS) <= one.singletons.keys() == two.singletons.keys()
        async with asyncio.timeout(15):
            while any(len(holders(workers, job)) != 1 for job in one.singletons):
                await asyncio.sleep(0.1)
        # The other worker keeps trying (every 0.2 s) and never gets a held job.
        for _ in range(10):
            await asyncio.sleep(0.1)
            assert all(len(holders(workers, job)) == 1 for job in one.singletons)
        # PostgreSQL's view: one advisory lock per job, each on a session of its own.
        async with one.db.session() as session:
            rows = (
                await session.execute(
                    text(
                        "SELECT ((classid::bigint << 32) | objid::bigint) AS key, pid "
                        "FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND database = (SELECT oid FROM pg_database "
                        "WHERE datname = current_database())"
                    )
                )
            ).all()
        keys = {lock_key(job): job for job in one.singletons}
        held = {keys[row.key]: row.pid for row in rows if row.key in keys}
        assert sorted(held) == sorted(one.singletons)
        assert len(set(held.values())) == len(held)  # a dedicated connection per job
