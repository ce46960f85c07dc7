"""The node leases on PostgreSQL (issue 20): one owner per node, expiry, takeover with a new
epoch, the configured owner preferred, and a stale owner's write refused (fencing)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from hotline.store.db import Database
from hotline.store.leases import LeaseLost, NodeLeases, fence
from tests.store.conftest import PG_TEST_URL, clean_postgres

pytestmark = [pytest.mark.postgres]

TTL = 0.6


@pytest.fixture
async def pg() -> AsyncIterator[tuple[Database, Database]]:
    """Two workers' own pools on one migrated database."""
    await clean_postgres(PG_TEST_URL)
    first, second = Database(PG_TEST_URL), Database(PG_TEST_URL)
    await first.upgrade()
    yield first, second
    await first.dispose()
    await second.dispose()


async def expire(db: Database, node: str) -> None:
    """The lease's time is up (instead of waiting for it)."""
    async with db.session() as session:
        await session.execute(
            text("UPDATE node_leases SET expires_at = expires_at - 3600 WHERE node = :n"),
            {"n": node},
        )


async def test_one_owner_then_takeover_after_expiry(pg: tuple[Database, Database]) -> None:
    w1, w2 = NodeLeases(pg[0]), NodeLeases(pg[1])
    first = await w1.acquire("n2", "w1", TTL)
    assert first is not None and first.epoch == 1 and first.held()
    assert await w2.acquire("n2", "w2", TTL) is None  # held: nobody else gets it
    renewed = await w1.renew(first, TTL)
    assert renewed is not None and renewed.epoch == 1
    await expire(pg[0], "n2")
    taken = await w2.acquire("n2", "w2", TTL)
    assert taken is not None and taken.epoch == 2
    # The old owner cannot renew a lease that moved on, nor take it back while it is held.
    assert await w1.renew(first, TTL) is None
    assert await w1.acquire("n2", "w1", TTL) is None
    rows = await w1.all()
    assert [(r.node, r.owner, r.epoch) for r in rows] == [("n2", "w2", 2)]


async def test_expired_lease_is_not_renewed_even_if_nobody_took_it(
    pg: tuple[Database, Database],
) -> None:
    leases = NodeLeases(pg[0])
    lease = await leases.acquire("n1", "w1", TTL)
    assert lease is not None
    await expire(pg[0], "n1")
    assert await leases.renew(lease, TTL) is None  # lapsed: acquire again, with a new epoch
    again = await leases.acquire("n1", "w1", TTL)
    assert again is not None and again.epoch == 2


async def test_real_expiry_on_the_server_clock(pg: tuple[Database, Database]) -> None:
    w1, w2 = NodeLeases(pg[0]), NodeLeases(pg[1])
    lease = await w1.acquire("n2", "w1", TTL)
    assert lease is not None
    assert await w2.acquire("n2", "w2", TTL) is None
    await asyncio.sleep(TTL + 0.2)
    assert not lease.held()  # the owner's own clock gave up no later than the database
    assert await w2.acquire("n2", "w2", TTL) is not None


async def test_standby_waits_a_grace_so_the_configured_owner_wins(
    pg: tuple[Database, Database],
) -> None:
    owner, standby = NodeLeases(pg[0]), NodeLeases(pg[1])
    lease = await owner.acquire("n1", "w1", TTL)
    assert lease is not None
    await owner.release(lease)
    # Just released: the standby waits out its grace, the configured owner does not.
    assert await standby.acquire("n1", "w2", TTL, grace=60.0) is None
    back = await owner.acquire("n1", "w1", TTL)
    assert back is not None and back.epoch == 2


async def test_stale_owner_write_is_refused(pg: tuple[Database, Database]) -> None:
    w1, w2 = NodeLeases(pg[0]), NodeLeases(pg[1])
    stale = await w1.acquire("n2", "w1", TTL)
    assert stale is not None
    async with pg[0].session() as session:
        await fence(session, stale)  # the owner writes
    await expire(pg[0], "n2")
    # Expired, not yet taken: refused already.
    with pytest.raises(LeaseLost):
        async with pg[0].session() as session:
            await fence(session, stale)
    fresh = await w2.acquire("n2", "w2", TTL)
    assert fresh is not None
    with pytest.raises(LeaseLost):
        async with pg[0].session() as session:
            await fence(session, stale)
    async with pg[1].session() as session:
        await fence(session, fresh)


async def test_takeover_waits_for_the_owner_write_in_progress(
    pg: tuple[Database, Database],
) -> None:
    """The fence holds the row: a takeover cannot slip in between the check and the commit."""
    w1, w2 = NodeLeases(pg[0]), NodeLeases(pg[1])
    lease = await w1.acquire("n2", "w1", 1.0)
    assert lease is not None
    taken = asyncio.Event()

    async def take_over() -> None:
        while await w2.acquire("n2", "w2", TTL) is None:
            await asyncio.sleep(0.05)
        taken.set()

    async with pg[0].session() as session:
        await fence(session, lease)
        taker = asyncio.create_task(take_over())
        await asyncio.sleep(1.3)  # the lease expired meanwhile, but the row is held
        assert not taken.is_set()
    await asyncio.wait_for(taker, 5)
    assert taken.is_set()
