"""Several engine workers on one PostgreSQL database (issue 20 item 2): two dispatchers never
claim the same contact, the calls-per-second cap and the channel caps hold across both, the
same-number gap too, a dead worker's attempts are adopted, and a singleton job runs in one
worker and moves to another when that worker's session dies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from dialer.engine import Dialer
from dialer.repository import DialerStore, SharedCaps
from dialer.workers import DialerWorker
from hotline.settings import DialerSettings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.singleton import Singleton
from hotline.store.workers import PACING_CPS, SharedPacer
from tests.dialer_support import NOW, Clock, running_campaign
from tests.store.conftest import PG_TEST_URL, clean_postgres
from tests.unit.test_dialer_service import OPEN, StubAmi, StubPrompts

pytestmark = [pytest.mark.postgres]

WIDE = OPEN.model_copy(update={"max_channels": 10_000})
GAP = timedelta(seconds=600)


@pytest.fixture
async def pg() -> AsyncIterator[tuple[Database, Database]]:
    """Two workers' own connections (pools) to one migrated database."""
    await clean_postgres(PG_TEST_URL)
    first, second = Database(PG_TEST_URL), Database(PG_TEST_URL)
    await first.upgrade()
    yield first, second
    await first.dispose()
    await second.dispose()


def phones(count: int, prefix: str = "+7913100") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(count)]


async def test_two_claimers_never_get_the_same_contact(
    pg: tuple[Database, Database], tmp_path: Path
) -> None:
    a, b = DialerStore(pg[0]), DialerStore(pg[1])
    campaign = await running_campaign(a, tmp_path, phones(300), rules=WIDE)
    until = NOW + timedelta(seconds=30)
    seen: dict[str, list[int]] = {"a": [], "b": []}

    async def claimer(store: DialerStore, name: str) -> None:
        while batch := await store.claim_targets(campaign.id, NOW, 7, worker=name, until=until):
            seen[name] += [t.id for t in batch]

    await asyncio.gather(claimer(a, "a"), claimer(b, "b"))
    assert not set(seen["a"]) & set(seen["b"])
    assert len(seen["a"]) + len(seen["b"]) == 300 == len({*seen["a"], *seen["b"]})
    assert seen["a"] and seen["b"]  # both got work, neither waited for the other's rows
    # A released claim is anyone's again; a lapsed one too.
    await a.release_claims("a")
    again = await b.claim_targets(campaign.id, NOW, 500, worker="b", until=until)
    assert {t.id for t in again} == set(seen["a"])  # b's own claims are still b's
    lapsed = await a.claim_targets(
        campaign.id, until + timedelta(seconds=1), 500, worker="a", until=until
    )
    assert len(lapsed) == 300


def two_dialers(
    pg: tuple[Database, Database], node_channels: int | None = None, **settings: Any
) -> tuple[list[Dialer], list[StubAmi]]:
    """Workers w1 and w2, on nodes pbx1 and pbx2 when ``node_channels`` is given."""
    dialers, amis = [], []
    for index, db in enumerate(pg):
        ami = StubAmi()
        worker = DialerWorker(
            name=f"w{index + 1}",
            node=f"pbx{index + 1}" if node_channels else "",
            node_channels=node_channels,
            pacer=SharedPacer(db),
        )
        dialers.append(
            Dialer(
                DialerSettings(**{"calls_per_second": 1000.0, **settings}),
                DialerStore(db),
                ami,  # type: ignore[arg-type]
                StubPrompts(),  # type: ignore[arg-type]
                CallLog(db),
                clock=Clock(NOW),
                worker=worker,
            )
        )
        amis.append(ami)
    return dialers, amis


async def test_two_dialers_dial_each_number_once_within_the_trunk_cap(
    pg: tuple[Database, Database], tmp_path: Path
) -> None:
    store = DialerStore(pg[0])
    await running_campaign(store, tmp_path, phones(120), rules=WIDE)
    dialers, amis = two_dialers(pg, trunk_channels=50)
    # Both passes read "no calls in flight" and each would fill the 50 channels alone.
    counts = await asyncio.gather(*(d.dispatch_once() for d in dialers))
    dialled = [o["channel"] for ami in amis for o in ami.originated]
    assert sum(counts) == len(dialled) == 50
    assert len(set(dialled)) == len(dialled)
    attempts = await store.inflight()
    assert {a.phone for a in attempts} == {a.phone for a in attempts}
    assert sorted({a.id for a in attempts}) == sorted(
        o["action_id"] for a in amis for o in a.originated
    )
    assert {a.id for a in await store.inflight("w1")} == {
        o["action_id"] for o in amis[0].originated
    }


async def test_the_calls_per_second_cap_holds_across_workers(
    pg: tuple[Database, Database], tmp_path: Path
) -> None:
    store = DialerStore(pg[0])
    await running_campaign(store, tmp_path, phones(12), rules=WIDE)
    cps = 20.0
    # Each worker's node has 6 free channels: each claims and dials 6.
    dialers, amis = two_dialers(
        pg, node_channels=6, calls_per_second=cps, tick_seconds=5.0, trunk_channels=100
    )
    stamps: list[float] = []
    for ami in amis:
        original = ami.originate

        async def stamped(channel: str, _original: Any = original, **kwargs: Any) -> str:
            stamps.append(time.monotonic())
            return str(await _original(channel, **kwargs))

        ami.originate = stamped  # type: ignore[method-assign]
    server_clock = text("SELECT EXTRACT(EPOCH FROM clock_timestamp())")
    async with pg[0].session() as session:
        before = float((await session.execute(server_clock)).scalar_one())
    await asyncio.gather(*(d.dispatch_once() for d in dialers))
    assert len(stamps) == 12 and all(a.originated for a in amis)
    # Two workers each pacing alone would book 6 slots each from their own clock; the shared
    # row books all 12 one after another, whichever worker sent each, so the next free slot
    # is at least 12 intervals after the first booking (on the server's clock: no wall-time
    # measurement of this loaded machine's event loop).
    async with pg[0].session() as session:
        next_at = (
            await session.execute(
                text("SELECT next_at FROM dialer_pacing WHERE name = :name"), {"name": PACING_CPS}
            )
        ).scalar_one()
    assert float(next_at) >= before + 12 / cps - 1e-6


async def test_pacer_books_slots_in_turn_and_refuses_beyond_the_horizon(
    pg: tuple[Database, Database],
) -> None:
    pacers = [SharedPacer(db) for db in pg]
    # Slots 10 s apart, so the seconds eight concurrent takes may need on a loaded machine
    # (each wait is measured from its own transaction's start) cannot blur slot from slot.
    interval, horizon, load_allowance = 10.0, 35.0, 2.0
    waits = await asyncio.gather(
        *(pacers[i % 2].take(PACING_CPS, interval, horizon) for i in range(8))
    )
    booked = sorted(w for w in waits if w is not None)
    assert len(booked) == 4 and waits.count(None) == 4  # slots at 0, 10, 20, 30 s
    for index, wait in enumerate(booked):
        assert index * interval - load_allowance <= wait <= index * interval + 0.01


async def test_same_number_gap_and_caps_hold_when_two_workers_begin_at_once(
    pg: tuple[Database, Database], tmp_path: Path
) -> None:
    a, b = DialerStore(pg[0]), DialerStore(pg[1])
    one = await running_campaign(a, tmp_path, ["+79131000001"], name="one", rules=WIDE)
    two = await running_campaign(a, tmp_path, ["+79131000001"], name="two", rules=WIDE)
    first = (await a.due_targets(one.id, NOW, 1))[0]
    second = (await a.due_targets(two.id, NOW, 1))[0]
    caps = SharedCaps("sim", 100, 100, GAP)
    results = await asyncio.gather(
        a.begin_attempt(first, "x1", NOW, worker="w1", caps=caps),
        b.begin_attempt(second, "x2", NOW, worker="w2", caps=caps),
    )
    assert sum(r is not None for r in results) == 1  # one number, one call in the gap

    many = await running_campaign(a, tmp_path, phones(10, "+7913200"), name="many", rules=WIDE)
    targets = await a.due_targets(many.id, NOW, 10)
    tight = SharedCaps("sim", 4, 100, GAP)  # one call of "one"/"two" is in flight already
    begun = await asyncio.gather(
        *(
            (a if i % 2 else b).begin_attempt(t, f"m{i}", NOW, worker=f"w{i % 2}", caps=tight)
            for i, t in enumerate(targets)
        )
    )
    assert sum(r is not None for r in begun) == 3
    node = SharedCaps("other", 100, 100, GAP, node="pbx1", node_cap=2)
    rest = [t for t, r in zip(targets, begun, strict=True) if r is None]
    on_node = await asyncio.gather(
        *(b.begin_attempt(t, f"n{i}", NOW, worker="w2", caps=node) for i, t in enumerate(rest))
    )
    assert sum(r is not None for r in on_node) == 2


async def test_a_dead_workers_attempts_are_adopted_once(
    pg: tuple[Database, Database], tmp_path: Path
) -> None:
    store = DialerStore(pg[0])
    await running_campaign(store, tmp_path, phones(6), rules=WIDE)
    dialers, amis = two_dialers(pg)
    await dialers[0].dispatch_once()
    mine = {o["action_id"] for o in amis[0].originated}
    assert len(mine) == 6
    live = sorted(mine)[:2]
    amis[1].live = set(live)  # w1 died; Asterisk still carries two of its calls
    adopted = await asyncio.gather(dialers[1].adopt({"w2"}), dialers[1].adopt({"w2"}))
    # SKIP LOCKED lets two adopters share the orphans (either may take all, or they split
    # them): each attempt is adopted exactly once, so the counts add up to the six.
    assert sum(adopted) == 6
    # The two live calls are followed by w2; the four gone are settled as unknown (not
    # retried before the same-number gap: never dialled twice by accident).
    assert {a.id for a in await store.inflight("w2")} == set(live)
    assert dialers[1].in_flight == 2
    assert await store.inflight("w1") == []
    # The survivor does not adopt what a live worker dials.
    assert await dialers[1].adopt({"w1", "w2"}) == 0


async def test_a_singleton_runs_once_and_moves_when_its_worker_dies(
    pg: tuple[Database, Database],
) -> None:
    running: list[str] = []

    def job(name: str) -> Any:
        async def run() -> None:
            running.append(name)
            try:
                await asyncio.Event().wait()
            finally:
                running.remove(name)

        return run

    singles = [Singleton(db, "housekeeping", job(f"w{i}"), retry=0.2) for i, db in enumerate(pg)]
    tasks = [asyncio.create_task(s.run()) for s in singles]
    try:
        async with asyncio.timeout(10):
            while not running:
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.6)  # three retries of the other worker
        assert len(running) == 1
        holder = int(running[0][1])
        # The holder's session dies (a killed process, a lost network): PostgreSQL drops the
        # lock, the other worker takes the job over.
        async with pg[0].engine.connect() as conn:
            await conn.execute(
                text(
                    # Only this test's database: other xdist workers run on the same server.
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() "
                    "AND database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database())"
                )
            )
            await conn.commit()
        async with asyncio.timeout(10):
            while running != [f"w{1 - holder}"]:
                await asyncio.sleep(0.05)
        assert len(running) == 1
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
