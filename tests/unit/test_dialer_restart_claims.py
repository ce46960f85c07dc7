"""Issue 21 (the dialler restarted after a kill): a dispatcher pass claims the contacts it
is about to dial (``claimed_by``, ``claimed_until`` = now + the claim lease) and releases
what it did not dial when the pass ends.  An engine killed inside a pass never reaches that
release, and the restarted engine claims under the same worker name, so its passes skipped
those contacts until the lease (30 s by default) lapsed.  Now the restarted dialer releases
its own name's claims before its first pass.

Checked against the old code: the first pass after the restart dialled none of the three
contacts (their claims ran until NOW + 30 s on the dialer's clock, which stands at NOW)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from dialer.repository import DialerStore
from dialer.workers import LOCAL_WORKER
from tests.dialer_support import NOW, Clock, running_campaign
from tests.unit.test_chaos_reconcile import ONE_TRY, db
from tests.unit.test_dialer_service import make_dialer

__all__ = ["db"]

PHONES = ["+79131234561", "+79131234562", "+79131234569"]


async def test_contacts_claimed_by_a_killed_run_are_dialled_at_once_after_the_restart(
    db: Any, tmp_path: Path
) -> None:
    store = DialerStore(db)
    campaign = await running_campaign(store, tmp_path, PHONES, rules=ONE_TRY)
    # The killed run's pass: claimed, never dialled, never released.
    claimed = await store.claim_targets(
        campaign.id, NOW, len(PHONES), worker=LOCAL_WORKER, until=NOW + timedelta(seconds=30)
    )
    assert len(claimed) == len(PHONES)
    restarted, ami = make_dialer(db, Clock(NOW))
    await restarted.reconcile()
    assert await restarted.dispatch_once() == len(PHONES)
    assert sorted(call["channel_id"] for call in ami.originated) == sorted(
        a["attempt"] for a in await store.attempts_detail(campaign.id)
    )


async def test_the_claims_of_another_worker_are_left_alone(db: Any, tmp_path: Path) -> None:
    """Only the restarted worker's own name: a live worker's claims still hold (PostgreSQL
    workers share contacts; what another claimed is its to dial)."""
    store = DialerStore(db)
    campaign = await running_campaign(store, tmp_path, PHONES, rules=ONE_TRY)
    await store.claim_targets(
        campaign.id, NOW, 1, worker="other-worker", until=NOW + timedelta(seconds=30)
    )
    restarted, ami = make_dialer(db, Clock(NOW))
    await restarted.reconcile()
    assert await restarted.dispatch_once() == len(PHONES) - 1
    assert len(ami.originated) == len(PHONES) - 1
