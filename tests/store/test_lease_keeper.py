"""The lease keeper of each worker on PostgreSQL (issue 20): each worker owns its configured
node; when one dies the other takes its node over (driving it) once the lease expired and
the grace passed; it hands the node back when the configured owner lives again; a keeper
whose renew fails stops acting on the node."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from dialer.ownership import NodeDriver, NodeKeeper
from hotline.settings import NodeLeaseSettings
from hotline.store.db import Database
from hotline.store.leases import LeaseHolder, NodeLeases
from hotline.store.workers import WorkerRecord
from tests.dialer_support import NOW
from tests.store.conftest import PG_TEST_URL, clean_postgres

pytestmark = [pytest.mark.postgres]

FAST = NodeLeaseSettings(
    ttl_seconds=0.5, renew_seconds=0.1, margin_seconds=0.1, takeover_grace_seconds=0.2
)
DEAD_AFTER = timedelta(seconds=20)


@pytest.fixture
async def pg() -> AsyncIterator[tuple[Database, Database]]:
    await clean_postgres(PG_TEST_URL)
    first, second = Database(PG_TEST_URL), Database(PG_TEST_URL)
    await first.upgrade()
    yield first, second
    await first.dispose()
    await second.dispose()


class Registry:
    """Who the keepers see alive (the engine_workers heartbeats)."""

    def __init__(self) -> None:
        self.alive = {"w1": "n1", "w2": "n2"}

    async def all(self) -> list[WorkerRecord]:
        return [WorkerRecord(n, "h", 1, node, NOW, NOW, True) for n, node in self.alive.items()]


class Driver:
    def __init__(self, holder: LeaseHolder, log: list[str]) -> None:
        self.holder = holder
        self.log = log
        log.append(f"drive {holder.node}")
        self.connected = True

    async def stop(self) -> None:
        self.log.append(f"stop {self.holder.node}")


def keeper(db: Database, name: str, home: str, registry: Registry, log: list[str]) -> NodeKeeper:
    async def start(holder: LeaseHolder) -> NodeDriver:
        return Driver(holder, log)

    def clock() -> datetime:
        return NOW

    return NodeKeeper(
        NodeLeases(db), registry.all, name, home, ["n1", "n2"], FAST, DEAD_AFTER, clock, start
    )


async def tick_until(keeper: NodeKeeper, node: str, timeout: float = 5.0) -> float:
    """Ticks (every renew period) until ``keeper`` owns ``node``; returns the time it took."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    while node not in keeper.owned():
        assert loop.time() - began < timeout, f"{keeper.name} never took {node}"
        await keeper.tick()
        await asyncio.sleep(FAST.renew_seconds)
    return loop.time() - began


async def test_takeover_after_the_owner_dies_and_hand_back(
    pg: tuple[Database, Database],
) -> None:
    registry, log = Registry(), []
    w1 = keeper(pg[0], "w1", "n1", registry, log)
    w2 = keeper(pg[1], "w2", "n2", registry, log)
    await w1.tick()
    await w2.tick()
    assert w1.owned() == ["n1"] and w2.owned() == ["n2"]
    assert log == []  # each drives its own node with the engine's own AMI: no extra driver

    # w2 is killed: it renews nothing more, and its heartbeat lapses.
    del registry.alive["w2"]
    took = await tick_until(w1, "n2")
    assert took >= FAST.ttl_seconds - 0.15  # not before the dead owner's lease expired
    assert w1.owned() == ["n1", "n2"] and log == ["drive n2"]
    lease = w1.holder("n2").current
    assert lease is not None and lease.epoch == 2

    # w2 restarts (the same name): w1 hands n2 back at its next tick, w2 takes it at once.
    registry.alive["w2"] = "n2"
    w2b = keeper(pg[1], "w2", "n2", registry, log)
    await w1.tick()
    assert w1.owned() == ["n1"] and log == ["drive n2", "stop n2"]
    await w2b.tick()
    assert w2b.owned() == ["n2"]
    back = w2b.holder("n2").current
    assert back is not None and back.epoch == 3


async def test_the_configured_owner_is_preferred(pg: tuple[Database, Database]) -> None:
    """A standby waits the grace after expiry: the configured owner coming back in time keeps
    its node (no needless move)."""
    registry, log = Registry(), []
    del registry.alive["w2"]  # w1 sees no live owner of n2
    w1 = keeper(pg[0], "w1", "n1", registry, log)
    w2 = keeper(pg[1], "w2", "n2", registry, log)
    await w2.tick()
    await NodeLeases(pg[1]).release(w2.holder("n2").current)  # type: ignore[arg-type]
    w2.holder("n2").current = None
    await w1.tick()  # expired just now: within the grace, the standby does not take it
    assert w1.owned() == ["n1"]
    await w2.tick()
    assert w2.owned() == ["n2"] and log == []


async def test_a_keeper_that_cannot_renew_stops_acting(pg: tuple[Database, Database]) -> None:
    registry, log = Registry(), []
    w2 = keeper(pg[1], "w2", "n2", registry, log)
    await w2.tick()
    holder = w2.holder("n2")
    assert holder.usable() is not None
    # Cut off from the database (a partition): no renew; its own clock runs the lease out,
    # margin_seconds before the database would let anyone else take it.
    await asyncio.sleep(FAST.ttl_seconds - FAST.margin_seconds + 0.02)
    assert holder.usable() is None
    await asyncio.sleep(FAST.margin_seconds)
    taken = await NodeLeases(pg[0]).acquire("n2", "w1", FAST.ttl_seconds)
    assert taken is not None
    # Back in touch: its renew is refused and the node is w1's; it does not take it back.
    await w2.tick()
    assert holder.current is None and w2.owned() == []
