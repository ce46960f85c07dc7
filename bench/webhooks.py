"""Webhook outbox throughput (issue 22 item 4): events delivered per second to a loopback
receiver, against the two floors it stands on, measured in the same run:

* bare INSERT+commit: one row per transaction into a scratch table of the same store;
* bare POST loop: httpx posting the same signed body to the same receiver, one at a time;
* outbox, write: ``WebhookStore.add`` (the event row, its own transaction);
* outbox, deliver: ``WebhookOutbox.deliver_due`` draining the backlog (fan-out, ordered
  POSTs, a commit per delivery) to one endpoint.

The receiver runs in a child process (an HTTP/1.1 keep-alive server), so its CPU does not
share this process's.  Rates are medians of ``--repeat`` runs of ``--events`` events.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import text

from bench.common import machine_line, median
from bench.webhook_receiver import serve
from hotline.messaging.webhooks import WebhookOutbox
from hotline.protocol.webhooks import Ping, PingData, encode, headers
from hotline.settings import WebhookEndpoint, WebhookSettings
from hotline.store.db import Database
from hotline.store.webhooks import WebhookStore, new_event_id
from hotline.transport.webhook_http import WebhookPoster

SECRET = b"bench-webhook-secret-0123456789"
RECEIVER_START_SECONDS = 60
NAMES = ("bare INSERT+commit", "bare POST loop", "outbox, write", "outbox, deliver")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", type=int, default=1000, help="events per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement")
    parser.add_argument(
        "--store", default=None, help="store URL (default: a fresh SQLite file per run)"
    )


def _event() -> Ping:
    return Ping(id=new_event_id(), at=datetime.now(UTC), data=PingData(message="bench"))


async def _bare_insert(db: Database, count: int) -> float:
    async with db.session() as session:
        await session.execute(
            text("CREATE TABLE IF NOT EXISTS bench_rows (id INTEGER, body TEXT)")
        )
    body = encode(_event())
    started = time.perf_counter()
    for n in range(count):
        async with db.session() as session:
            await session.execute(
                text("INSERT INTO bench_rows (id, body) VALUES (:id, :body)"),
                {"id": n, "body": body},
            )
    return count / (time.perf_counter() - started)


async def _bare_post(url: str, count: int) -> float:
    body = encode(_event()).encode()
    async with httpx.AsyncClient(trust_env=False) as client:
        started = time.perf_counter()
        for _ in range(count):
            sent = headers(SECRET, int(time.time()), body, "e" * 32, "ping")
            answer = await client.post(url, content=body, headers=sent, timeout=10.0)
            assert answer.status_code == 204
        return count / (time.perf_counter() - started)


async def _outbox(db: Database, url: str, count: int) -> tuple[float, float]:
    store = WebhookStore(db)
    started = time.perf_counter()
    for _ in range(count):
        await store.add(_event())
    write = count / (time.perf_counter() - started)
    endpoint = WebhookEndpoint(name="bench", url=url, secret_env="BENCH_SECRET")
    settings = WebhookSettings(endpoints=(endpoint,))
    poster = WebhookPoster()
    outbox = WebhookOutbox(settings, store, poster, {"bench": SECRET})
    try:
        started = time.perf_counter()
        delivered = await outbox.deliver_due()
        deliver = count / (time.perf_counter() - started)
    finally:
        await poster.close()
    assert delivered == count, (delivered, count)
    return write, deliver


async def _one_run(store_url: str, url: str, count: int) -> dict[str, float]:
    async with Database(store_url) as db:
        await db.upgrade()
        insert = await _bare_insert(db, count)
        post = await _bare_post(url, count)
        write, deliver = await _outbox(db, url, count)
    return dict(zip(NAMES, (insert, post, write, deliver), strict=True))


def run(options: argparse.Namespace) -> int:
    print(f"machine: {machine_line()}")
    parent, child = multiprocessing.get_context("spawn").Pipe(duplex=False)
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(child,), daemon=True)
    server.start()
    child.close()
    try:
        # Bounded: a child that never reports its port fails the run with a clear error.
        if not parent.poll(RECEIVER_START_SECONDS):
            raise RuntimeError(f"the receiver did not start in {RECEIVER_START_SECONDS} s")
        url = f"http://127.0.0.1:{parent.recv()}/hook"
        results: dict[str, list[float]] = {name: [] for name in NAMES}
        with tempfile.TemporaryDirectory(prefix="hotline-bench-webhooks-") as temp:
            for index in range(options.repeat):
                store_url = options.store or f"sqlite+aiosqlite:///{Path(temp) / f'r{index}.db'}"
                for name, rate in asyncio.run(_one_run(store_url, url, options.events)).items():
                    results[name].append(rate)
    finally:
        server.terminate()
        server.join(5)
    rates = {name: median(values) for name, values in results.items()}
    print(f"webhooks: {options.events} events per run, {options.repeat} runs, loopback receiver")
    print(f"{'':<22}{'events/s':>10}")
    for name, rate in rates.items():
        print(f"{name:<22}{rate:>10.0f}")
    deliver = rates["outbox, deliver"]
    # Serially, a delivery needs at least a POST and a committed write.
    floor = 1.0 / (1.0 / rates["bare INSERT+commit"] + 1.0 / rates["bare POST loop"])
    print(f"outbox deliver / bare INSERT+commit: {deliver / rates['bare INSERT+commit']:.2f}")
    print(f"outbox deliver / bare POST loop:     {deliver / rates['bare POST loop']:.2f}")
    print(f"outbox deliver / (INSERT+commit then POST, serially): {deliver / floor:.2f}")
    return 0
