"""A limit changed during a long pass takes effect within a tick, not at the pass's end.

``hotline campaign limits`` and the console promise the running engine applies a change within
a tick; a pass now lasts as long as its free channels take to go out at the campaign's pace
(about 20 s at 400 channels and 20 cps, issue 19 item 6), and it read the limits once, at its
start.  Each round now compares them with the stored ones once they are a tick old
(``LimitsWatch``) and ends the pass when they differ, so the next pass counts its free channels
and its pace again.  The pass is held at its first round's second mark (stub AMI, the dialer's
clock frozen), the supervisor sets the trunk's channels to 0 meanwhile, and the pass goes on:
checked against the old code (the limits read once per pass), every number was dialled."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from dialer.limits import LIMIT_TRUNK, Limits
from dialer.model import TargetState
from dialer.rounds import LimitsWatch
from hotline.store.db import Database
from tests.dialer_support import NOW
from tests.unit.test_dialer_round_ahead import PHONES, held_in_first_round, resume_a_tick_later
from tests.unit.test_dialer_service import db

__all__ = ["db"]


async def test_channels_set_to_zero_during_a_pass_stop_it_within_a_tick(
    db: Database, tmp_path: Path
) -> None:
    dialer, ami, store, task, go, sizes = await held_in_first_round(db, tmp_path)
    first = sizes[0]
    await store.set_limit(LIMIT_TRUNK, 0, "supervisor", NOW)
    await resume_a_tick_later(dialer, task, go)
    # The round being sent finishes; the round prepared ahead is withdrawn, nothing more.
    assert len(ami.originated) == first < len(PHONES)
    campaign = await store.campaign("test")
    targets = await store.targets_detail(campaign.id)
    pending = [t for t in targets if t["state"] == TargetState.PENDING.value]
    assert len(pending) == len(PHONES) - first and all(t["attempts"] == 0 for t in pending)


async def test_the_watch_reads_the_limits_again_once_they_are_max_age_old() -> None:
    before = Limits(20.0, 30, timedelta(hours=1), {"main": 30})
    after = Limits(10.0, 30, timedelta(hours=1), {"main": 30})
    reads = [before, after]
    now = [0.0]

    async def read() -> Limits:
        return reads.pop(0)

    watch = LimitsWatch(read, before, 1.0, clock=lambda: now[0])
    now[0] = 0.99
    assert not await watch.changed()  # not read: younger than a tick
    now[0] = 1.0
    assert not await watch.changed()  # read: the same limits
    now[0] = 1.5
    assert not await watch.changed()  # not read again within the tick after
    now[0] = 2.0
    assert await watch.changed()
    assert not reads
