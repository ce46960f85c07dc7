"""The owner of n2 dies between marking an attempt sent and writing its Originate (a hook, not
timing: tests/e2e/dispatch2_kill_hook.py): the other worker, which watched n2 from its start
(dialer/taken_node.py: ``NodeWatch``), takes n2 over, sees that Asterisk never had that call,
gives its contact back and dials it, so every number is dialled exactly once by the nodes'
own count.  Without the watch it logged in to n2 only at the takeover, could vouch for
nothing, and settled the attempt undialled (a clean-clone CI run of the takeover test)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from dialer.repository import DialerStore
from hotline.sandbox.cluster_bed import ClusterBed
from hotline.sandbox.cluster_plan import plan_bed
from hotline.settings import Settings
from hotline.store.db import Database
from hotline.store.leases import NodeLeases
from tests.dialer_support import running_campaign, wait_finished
from tests.e2e.bed_support import bed_settings, running_bed
from tests.e2e.test_lease_node_takeover import (
    BED_SETS,
    DIALER,
    TAKEN_WITHIN,
    dialled_on_nodes,
    wait_owners,
)
from tests.e2e.test_workers_two_engines import RULES

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

# Numbers the simulated carrier ends at once (busy, congestion, unallocated).  Enough for six
# seconds at the campaign's 8 calls a second: with 16 (two seconds) a loaded clean-clone run
# had w1 dial every number before w2 took its first batch, so w2 never reached the second
# batch its hook dies at, and the test waited for a death that could not come.
PHONES = [f"+79135{i:05d}{(4, 6, 8)[i % 3]}" for i in range(48)]
GIVEN_BACK = "attempts marked sent whose Originate never reached Asterisk"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return bed_settings(tmp_path, dialer=DIALER)


@pytest.fixture
def bed(settings: Settings) -> Iterator[ClusterBed]:
    # The owner of n2 dies once it has marked the first attempt of its second batch sent.
    runners = {plan_bed(settings).workers[1].name: ("tests.e2e.dispatch2_kill_hook", "2:after")}
    with running_bed(settings, BED_SETS, runners) as bed:
        yield bed


async def test_the_owner_of_n2_dies_after_a_mark_and_its_number_is_still_dialled_once(
    bed: ClusterBed, settings: Settings, tmp_path: Path
) -> None:
    db = Database(settings.database_url)
    store = DialerStore(db)
    leases = NodeLeases(db)
    w1, w2 = (w.name for w in bed.plan.workers)
    try:
        await wait_owners(leases, {"n1": w1, "n2": w2}, within=60)
        # w1's watch on n2 vouches only for attempts written a clock slack after it began.
        await asyncio.sleep(2 * settings.workers.clock_slack_seconds)
        async with dialled_on_nodes(bed) as dialled:
            await running_campaign(store, tmp_path, PHONES, rules=RULES)
            async with asyncio.timeout(60):  # the hook killed w2
                while alive(bed, 1):
                    await asyncio.sleep(0.1)
            await wait_owners(leases, {"n2": w1}, within=TAKEN_WITHIN + 10)
            finished = await wait_finished(store, "test", within=90)
            await asyncio.sleep(0.5)  # the last Newchannel events
        attempts = await store.attempts_detail(finished.id)
        targets = await store.targets_detail(finished.id)
    finally:
        await db.dispose()
    assert all(t["state"] == "done" and t["result"] for t in targets)
    assert Counter(a["phone"] for a in attempts) == Counter(PHONES)
    assert dialled["n1"] + dialled["n2"] == Counter(PHONES)
    # w1 gave the attempt w2 marked and never dialled back, by what its watch on n2 saw.
    w1_log = bed.worker_log(bed.plan.workers[0]).read_text(encoding="utf-8", errors="replace")
    assert GIVEN_BACK in w1_log


def alive(bed: ClusterBed, index: int) -> bool:
    pid = bed.worker_pid(bed.plan.workers[index])
    if pid is None:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"  # a zombie is dead
    except FileNotFoundError:
        return False
