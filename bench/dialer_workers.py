"""Dialer throughput of two engine workers against one on one PostgreSQL (issue 20).

Each worker is a process of its own (as ``hotline run`` is) running the real dispatcher:
contacts claimed with ``FOR UPDATE SKIP LOCKED``, the attempt begun under the caps every
worker shares, the calls-per-second slot taken from the shared row, the Originate sent to a
stub AMI (the carrier is not what is measured).  The figure is originated calls per second
for ``--worker-contacts`` contacts with one worker, then with two, in the same run.

On this 2-core machine the bound is the cores: two workers and PostgreSQL share them, so two
workers cannot reach 2x; on real hosts each worker has its own cores and the shared rows
(the trunk lock, the CPS slot) are the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.common import machine_line
from bench.dialer import NOW, OPEN, _campaign, _reset_postgres, _StubAmi, _StubPrompts, _write_csv
from dialer.model import AttemptStatus, Reason
from dialer.repository import DialerStore
from hotline.store.db import Database

DEFAULT_URL = "postgresql+psycopg://hotline_test:hotline_test@127.0.0.1:5432/hotline_test"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--worker-contacts", type=int, default=3000)
    parser.add_argument("--channels", type=int, default=200, help="calls in flight per worker")


async def _work(url: str, name: str, channels: int) -> int:
    from dialer.engine import Dialer
    from dialer.workers import DialerWorker
    from hotline.settings import DialerSettings
    from hotline.store.calllog import CallLog
    from hotline.store.workers import SharedPacer

    db = Database(url)
    store = DialerStore(db)
    settings = DialerSettings(
        calls_per_second=1e6, trunk_channels=10**9, same_number_gap_seconds=0
    )
    # Each worker dials through a node of its own with ``channels`` channels.
    worker = DialerWorker(
        name=name, node=f"node-{name}", node_channels=channels, pacer=SharedPacer(db)
    )
    dialer = Dialer(
        settings,
        store,
        _StubAmi(),  # type: ignore[arg-type]
        _StubPrompts(),  # type: ignore[arg-type]
        CallLog(db),
        worker=worker,
    )
    dialer.clock = lambda: NOW
    dialled = 0
    try:
        while True:
            calls = await dialer.dispatch_once()
            if not calls:
                return dialled
            dialled += calls
            # The calls end: the channels are free for the next pass (as hang-ups do).
            for attempt in await store.inflight(name):
                await store.end_attempt(
                    attempt.id,
                    status=AttemptStatus.ENDED,
                    result=None,
                    reason=Reason.BUSY,
                    cause=None,
                    now=NOW,
                    retry_at=None,
                    final=True,
                )
    finally:
        await db.dispose()


def _worker(url: str, name: str, channels: int) -> int:
    return asyncio.run(_work(url, name, channels))


async def _prepare(url: str, path: Path) -> None:
    await _reset_postgres(url)
    db = Database(url)
    await db.upgrade()
    await _campaign(DialerStore(db), path, "workers", OPEN)
    await db.dispose()


def _round(url: str, path: Path, workers: int, channels: int) -> tuple[int, float]:
    asyncio.run(_prepare(url, path))
    with ProcessPoolExecutor(workers) as pool:
        started = time.perf_counter()
        futures = [pool.submit(_worker, url, f"w{i + 1}", channels) for i in range(workers)]
        dialled = sum(f.result() for f in futures)
        return dialled, time.perf_counter() - started


def run(options: argparse.Namespace) -> int:
    print(f"machine: {machine_line()}")
    url = os.environ.get("PG_TEST_URL", DEFAULT_URL)
    with tempfile.TemporaryDirectory(prefix="hotline-bench-workers-") as name:
        path = Path(name) / "contacts.csv"
        _write_csv(path, options.worker_contacts)
        print(f"dialer workers on PostgreSQL, {options.worker_contacts:,} contacts, stub AMI")
        rates: dict[int, float] = {}
        for workers in (1, 2):
            dialled, seconds = _round(url, path, workers, options.channels)
            assert dialled == options.worker_contacts, (dialled, options.worker_contacts)
            rates[workers] = dialled / seconds
            print(
                f"  {workers} worker(s)  {dialled:,} calls in {seconds:6.2f} s  "
                f"{rates[workers]:8.1f} calls/s"
            )
        print(
            f"  two workers / one        x{rates[2] / rates[1]:.2f}  "
            f"(bound: {os.cpu_count()} cores shared by the workers and PostgreSQL)"
        )
    asyncio.run(_reset_postgres(url))
    return 0
