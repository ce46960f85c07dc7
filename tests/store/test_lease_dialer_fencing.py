"""Node ownership through the dialer on PostgreSQL (issue 20): the owner of a node dials
through it; a worker that lost the node's lease (paused, partitioned) dials nothing more
through it even while it still believes it owns it (the fence in the begin's transaction);
the new owner adopts the node's attempts and dials the rest, each number once."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from dialer.engine import Dialer
from dialer.repository import DialerStore
from dialer.workers import DialerWorker
from hotline.settings import DialerSettings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.leases import LeaseHolder, NodeLeases
from hotline.store.workers import SharedPacer
from tests.dialer_support import NOW, Clock, running_campaign
from tests.store.conftest import PG_TEST_URL, clean_postgres
from tests.unit.test_dialer_service import OPEN, StubAmi, StubPrompts

pytestmark = [pytest.mark.postgres]

WIDE = OPEN.model_copy(update={"max_channels": 10_000})
TTL = 30.0


@pytest.fixture
async def pg() -> AsyncIterator[tuple[Database, Database]]:
    await clean_postgres(PG_TEST_URL)
    first, second = Database(PG_TEST_URL), Database(PG_TEST_URL)
    await first.upgrade()
    yield first, second
    await first.dispose()
    await second.dispose()


def dialer(
    db: Database, name: str, holder: LeaseHolder, node: str = "n2", channels: int = 100
) -> tuple[Dialer, StubAmi]:
    ami = StubAmi()
    worker = DialerWorker(
        name=name, node=node, node_channels=channels, pacer=SharedPacer(db), lease=holder
    )
    built = Dialer(
        DialerSettings(calls_per_second=1000.0),
        DialerStore(db),
        ami,  # type: ignore[arg-type]
        StubPrompts(),  # type: ignore[arg-type]
        CallLog(db),
        clock=Clock(NOW),
        worker=worker,
    )
    return built, ami


async def expire(db: Database) -> None:
    async with db.session() as session:
        await session.execute(text("UPDATE node_leases SET expires_at = expires_at - 3600"))


async def test_stale_owner_dials_nothing_and_the_new_owner_adopts_and_finishes(
    pg: tuple[Database, Database], tmp_path: Path
) -> None:
    store = DialerStore(pg[0])
    numbers = [f"+79131{i:06d}" for i in range(10)]
    await running_campaign(store, tmp_path, numbers[:4], rules=WIDE)
    old_holder, new_holder = LeaseHolder("n2"), LeaseHolder("n2")
    old, old_ami = dialer(pg[0], "w2", old_holder)
    new, new_ami = dialer(pg[1], "w1", new_holder)

    # Nobody owns n2 yet: no dialling through it.
    assert await old.dispatch_once() == 0
    old_holder.current = await NodeLeases(pg[0]).acquire("n2", "w2", TTL)
    assert old_holder.current is not None
    # The owner dials its campaign's 4, then is paused; its lease expires and w1 takes n2
    # over; meanwhile a second campaign of 6 starts.
    assert await old.dispatch_once() == 4
    await expire(pg[0])
    await running_campaign(store, tmp_path, numbers[4:], name="more", rules=WIDE)
    new_holder.current = await NodeLeases(pg[1]).acquire("n2", "w1", TTL)
    assert new_holder.current is not None and new_holder.current.epoch == 2

    # The paused worker wakes up still believing its lease runs (its own clock says so):
    # the fence refuses every begin, nothing more goes out through its AMI.
    old_holder.current = replace(old_holder.current, deadline=time.monotonic() + 60)
    assert await old.dispatch_once() == 0
    assert len(old_ami.originated) == 4
    # ... nor does it adopt anything on the node it lost.
    assert await old.adopt(()) == 0

    # The new owner adopts the node's 4 attempts (Asterisk still carries two of them) and
    # dials the other 6: every number exactly once.
    new_ami.live = {o["action_id"] for o in old_ami.originated[:2]}
    assert await new.adopt(()) == 4
    assert await new.dispatch_once() == 6
    dialled = [o["channel"] for ami in (old_ami, new_ami) for o in ami.originated]
    assert len(dialled) == 10 == len(set(dialled))
    assert {a.id for a in await store.inflight("w1", "n2")} >= new_ami.live
    assert await store.inflight("w2") == []


async def test_adoption_stays_on_the_node(pg: tuple[Database, Database], tmp_path: Path) -> None:
    """A worker adopts the attempts of the node it owns, never those of another node (it
    would ask the wrong Asterisk and settle live calls as unknown)."""
    store = DialerStore(pg[0])
    await running_campaign(store, tmp_path, [f"+79132{i:06d}" for i in range(3)], rules=WIDE)
    holder = LeaseHolder("n2")
    holder.current = await NodeLeases(pg[0]).acquire("n2", "w2", TTL)
    owner, _ = dialer(pg[0], "w2", holder)
    assert await owner.dispatch_once() == 3
    n1 = LeaseHolder("n1")
    n1.current = await NodeLeases(pg[1]).acquire("n1", "w1", TTL)
    other, _ = dialer(pg[1], "w1", n1, node="n1")
    # w2 is dead as far as w1 knows; its calls are on n2, not on the node w1 owns.
    assert await other.adopt(()) == 0
    assert len(await store.inflight("w2", "n2")) == 3
