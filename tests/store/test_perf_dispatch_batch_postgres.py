"""Batched dispatch with several workers on PostgreSQL (issue 19 item 4): a batch of attempts
begun in one transaction keeps the caps every worker shares (trunk, campaign, node) and the
same-number gap across workers; the pacing slots of a batch are booked in one statement and
two workers' bookings never overlap nor go past the horizon; withdrawn attempts leave their
contacts pending, not counted."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from dialer.repository import DialerStore, SharedCaps
from hotline.store.db import Database
from hotline.store.workers import PACING_CPS, SharedPacer
from tests.dialer_support import NOW, running_campaign
from tests.store.conftest import PG_TEST_URL, clean_postgres
from tests.unit.test_dialer_service import OPEN

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


def phones(count: int, prefix: str) -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(count)]


async def test_batches_of_two_workers_keep_the_shared_caps_and_the_gap(
    pg: tuple[Database, Database], tmp_path: Path
) -> None:
    a, b = DialerStore(pg[0]), DialerStore(pg[1])
    shared = phones(3, "+7913700")
    one = await running_campaign(a, tmp_path, shared, name="one", rules=WIDE)
    two = await running_campaign(a, tmp_path, shared, name="two", rules=WIDE)
    caps = SharedCaps("sim", 100, 100, GAP)
    first = await a.due_targets(one.id, NOW, 10)
    second = await a.due_targets(two.id, NOW, 10)
    begun = await asyncio.gather(
        a.begin_attempts([(t, f"a{i}") for i, t in enumerate(first)], NOW, worker="w1", caps=caps),
        b.begin_attempts(
            [(t, f"b{i}") for i, t in enumerate(second)], NOW, worker="w2", caps=caps
        ),
    )
    # One number, one call in the gap, whichever worker's batch it was in.
    assert sorted(r.phone for batch in begun for r in batch) == shared

    many = await running_campaign(a, tmp_path, phones(10, "+7913800"), name="many", rules=WIDE)
    targets = await a.due_targets(many.id, NOW, 10)
    tight = SharedCaps("sim", 7, 100, GAP)  # three calls of "one"/"two" are in flight already
    begun = await asyncio.gather(
        a.begin_attempts([(t, f"m{i}") for i, t in enumerate(targets[:5])], NOW, caps=tight),
        b.begin_attempts([(t, f"n{i}") for i, t in enumerate(targets[5:])], NOW, caps=tight),
    )
    assert sum(len(batch) for batch in begun) == 4
    rest = await a.due_targets(many.id, NOW, 10)
    assert len(rest) == 6  # the contacts left out are pending, their attempts not counted
    assert all(t.attempts == 0 for t in rest)
    node = SharedCaps("other", 100, 100, GAP, node="pbx1", node_cap=2)
    on_node = await b.begin_attempts([(t, f"o{i}") for i, t in enumerate(rest)], NOW, caps=node)
    assert len(on_node) == 2
    campaign = SharedCaps("other", 100, 5, GAP)  # "many" has 4 + 2 calls in flight
    assert await a.begin_attempts([(rest[2], "c1")], NOW, caps=campaign) == []

    # Withdrawn (no pacing slot after all): the contacts are due again, not counted.
    await b.withdraw_attempts([r.id for r in on_node])
    again = await a.due_targets(many.id, NOW, 10)
    assert len(again) == 6 and all(t.attempts == 0 for t in again)
    assert {r.id for r in on_node}.isdisjoint(x.id for x in await a.inflight())


async def test_two_workers_book_batches_of_slots_in_turn(pg: tuple[Database, Database]) -> None:
    pacers = [SharedPacer(db) for db in pg]
    assert await pacers[0].free_slots(PACING_CPS, 1.0, 3.5) == 4
    booked = await asyncio.gather(*(p.take_many(PACING_CPS, 1.0, 3.5, 3) for p in pacers))
    # Slots at 0, 1, 2, 3 s on the server's clock, none beyond the horizon: one worker got
    # three consecutive ones, the other the one left (each measured from its own moment).
    assert sorted(len(batch) for batch in booked) == [1, 3]
    for batch in booked:
        assert all(0.0 <= wait <= 3.5 for wait in batch)
        steps = [later - earlier for earlier, later in itertools.pairwise(batch)]
        assert steps == pytest.approx([1.0] * (len(batch) - 1))
    assert await pacers[1].free_slots(PACING_CPS, 1.0, 3.5) == 0
    assert await pacers[1].take_many(PACING_CPS, 1.0, 3.5, 2) == []
