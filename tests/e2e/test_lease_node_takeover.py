"""Node ownership on the two-node test bed (issue 20): each worker owns its node's AMI
through a lease; the worker owning n2 is killed (SIGKILL) mid-campaign, the other takes n2
over within the lease's time, adopts n2's attempts and finishes the campaign dialling
through both nodes, with each number dialled exactly once by the nodes' own count."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from dialer.repository import DialerStore
from hotline.dialplan.names import CONTEXT_SIMULATED_CARRIER
from hotline.sandbox.cluster_bed import ClusterBed
from hotline.sandbox.cluster_plan import BedNode
from hotline.settings import Settings
from hotline.store.db import Database
from hotline.store.leases import NodeLeases
from hotline.transport.ami import Subscription
from tests.dialer_support import running_campaign, wait_finished
from tests.e2e.bed_support import bed_settings, running_bed, watching_nodes
from tests.e2e.test_workers_two_engines import RULES, rings

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

DIALER = {
    "tick_seconds": 0.2,
    "calls_per_second": 8.0,
    "ring_seconds": 3.0,
    "same_number_gap_seconds": 3600.0,
    "trunk_channels": 40,
}
# A dead worker's unused claims lapse after claim_lease_seconds.
WORKERS = {"heartbeat_seconds": 0.5, "dead_after_seconds": 3.0, "claim_lease_seconds": 3.0}
# A killed owner's node is taken over within ttl + grace + renew (3 s here).
LEASES = {
    "ttl_seconds": 2.0,
    "renew_seconds": 0.5,
    "margin_seconds": 0.5,
    "takeover_grace_seconds": 0.5,
}
TAKEN_WITHIN = 15.0
SLACK = timedelta(seconds=1)


def contacts() -> list[str]:
    """60 numbers the carrier ends at once (4 busy, 6 congestion, 8 unallocated), every
    fifth ringing unanswered for ``ring_seconds`` (in flight when its worker dies)."""
    return [f"+79134{i:05d}{5 if i % 5 == 0 else (4, 6, 8)[i % 3]}" for i in range(60)]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return bed_settings(tmp_path, dialer=DIALER)


# The workers' ``--set`` flags: the dialer, the heartbeats and the leases above.
BED_SETS = {
    **{f"dialer.{k}": v for k, v in DIALER.items()},
    **{f"workers.{k}": v for k, v in WORKERS.items()},
    **{f"leases.{k}": v for k, v in LEASES.items()},
}


@pytest.fixture
def bed(settings: Settings) -> Iterator[ClusterBed]:
    with running_bed(settings, BED_SETS) as bed:
        yield bed


@contextlib.asynccontextmanager
async def dialled_on_nodes(bed: ClusterBed) -> AsyncIterator[dict[str, Counter[str]]]:
    """Asterisk's own count of calls to each number, per node (from each node's AMI)."""
    counts: dict[str, Counter[str]] = {node.spec.name: Counter() for node in bed.plan.nodes}

    async def count(node: BedNode, events: Subscription) -> None:
        seen = counts[node.spec.name]
        async for event in events:
            carrier = event.get("context") == CONTEXT_SIMULATED_CARRIER
            if carrier and event.get("channel").endswith(";2"):
                seen["+" + event.get("exten")] += 1

    async with watching_nodes(bed, ["Newchannel"], count):
        yield counts


async def wait_owners(leases: NodeLeases, owners: dict[str, str], within: float) -> None:
    """Until each node of ``owners`` is leased to the worker named there."""
    async with asyncio.timeout(within):
        while True:
            leased = {r.node: r.owner for r in await leases.all()}
            if all(leased.get(node) == owner for node, owner in owners.items()):
                return
            await asyncio.sleep(0.1)


async def test_the_owner_of_n2_dies_and_the_other_worker_takes_n2_over(
    bed: ClusterBed, settings: Settings, tmp_path: Path
) -> None:
    phones = contacts()
    db = Database(settings.database_url)
    store = DialerStore(db)
    leases = NodeLeases(db)
    w1, w2 = (w.name for w in bed.plan.workers)
    try:
        # Each worker owns its configured node: a worker that came up first may hold the
        # other's node until its configured owner's heartbeat is fresh, then hands it back.
        await wait_owners(leases, {"n1": w1, "n2": w2}, within=60)
        # A hand-back at start raises an epoch too: the takeover is counted from here.
        epochs = {r.node: r.epoch for r in await leases.all()}
        async with dialled_on_nodes(bed) as dialled:
            cid = (await running_campaign(store, tmp_path, phones, rules=RULES)).id
            async with asyncio.timeout(60):
                while True:
                    # Sent, to a number that rings, and seen by n2: still in flight when the
                    # kill lands (a batch's written attempts are withdrawn, not adopted, and
                    # so is one marked sent whose Originate the kill stopped: traces.py).
                    in_flight = [
                        a
                        for a in await store.inflight(w2, "n2")
                        if rings(a) and dialled["n2"][a.phone]
                    ]
                    if in_flight and len(await store.attempts_detail(cid)) >= 15:
                        break  # a quarter dialled, w2 has a call in flight on n2
                    await asyncio.sleep(0.05)
            pid = bed.worker_pid(bed.plan.workers[1])
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            killed = datetime.now(UTC)
            await wait_owners(leases, {"n2": w1}, within=TAKEN_WITHIN)
            finished = await wait_finished(store, "test", within=90)
            await asyncio.sleep(0.5)  # the last Newchannel events
        rows = await leases.all()
        attempts = await store.attempts_detail(finished.id)
        targets = await store.targets_detail(finished.id)
        left = await store.inflight()
        async with db.session() as session:
            placed = (
                await session.execute(
                    text("SELECT id, worker, node, created_at, ended_at FROM dial_attempts")
                )
            ).all()
    finally:
        await db.dispose()
    after_kill = {(str(r[1]), str(r[2])) for r in placed if r[3] > killed}
    assert [(r.node, r.owner, r.epoch) for r in rows] == [
        ("n1", w1, epochs["n1"]),
        ("n2", w1, epochs["n2"] + 1),
    ]
    assert left == []
    assert all(t["state"] == "done" and t["result"] for t in targets)
    # w2's calls in flight on n2 when it died were adopted by w1 (followed or settled): w1
    # holds calls on n2 begun before the kill, and w2 ended none of its own after it (one
    # second of slack: a transaction the killed process had already sent).
    adopted = [r for r in placed if (r[1], r[2]) == (w1, "n2") and r[3] < killed]
    assert adopted, "w1 adopted none of n2's calls"
    late = [r for r in placed if r[1] == w2 and r[4] is not None and r[4] > killed + SLACK]
    assert late == []
    # After the kill only w1 dialled, through both nodes (its own AMI connection to n2).
    assert after_kill == {(w1, "n1"), (w1, "n2")}
    # One call per number: on the store's side and by the nodes' own count, over both.
    assert Counter(a["phone"] for a in attempts) == Counter(phones)
    assert dialled["n1"] + dialled["n2"] == Counter(phones)
    assert dialled["n1"] and dialled["n2"]
