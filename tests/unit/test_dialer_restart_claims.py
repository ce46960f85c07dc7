"""Issue 21 (the dialler restarted after a kill): a dispatcher pass claims the contacts it
is about to dial (``claimed_by``, ``claimed_until`` = now + the claim lease) and releases
what it did not dial when the pass ends.  An engine killed inside a pass never reaches that
release, and the restarted engine claims under the same worker name, so its passes skipped
those contacts until the lease (30 s by default) lapsed.  Now the restarted dialer releases
its own name's claims before its first pass (PostgreSQL), and on SQLite, where one engine
runs per file, claims are neither written nor honoured (issue 19 item 6).

Checked against the old code: on both stores the first pass after the restart dialled none
of the claimed contacts (their claims ran until NOW + 30 s on the dialer's clock, which
stands at NOW)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from dialer.engine import Dialer
from dialer.repository import DialerStore
from dialer.workers import LOCAL_WORKER, DialerWorker
from hotline.settings import DialerSettings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.models import CampaignTarget
from tests.dialer_support import NOW, Clock, running_campaign
from tests.store.conftest import PG_TEST_URL, clean_postgres
from tests.unit.test_chaos_reconcile import ONE_TRY, db
from tests.unit.test_dialer_service import StubAmi, StubPrompts, make_dialer

__all__ = ["db"]

PHONES = ["+79131234561", "+79131234562", "+79131234569"]
LEASE = timedelta(seconds=30)


async def test_contacts_a_killed_run_held_are_dialled_at_once_after_the_restart_sqlite(
    db: Any, tmp_path: Path
) -> None:
    store = DialerStore(db)
    campaign = await running_campaign(store, tmp_path, PHONES, rules=ONE_TRY)
    # The killed run's pass (as the old code wrote it): claimed, never dialled, never released.
    async with db.session() as session:
        await session.execute(
            update(CampaignTarget).values(claimed_by=LOCAL_WORKER, claimed_until=NOW + LEASE)
        )
    restarted, ami = make_dialer(db, Clock(NOW))
    await restarted.reconcile()
    assert await restarted.dispatch_once() == len(PHONES)
    assert sorted(call["channel_id"] for call in ami.originated) == sorted(
        a["attempt"] for a in await store.attempts_detail(campaign.id)
    )


@pytest.fixture
async def pg() -> AsyncIterator[Database]:
    await clean_postgres(PG_TEST_URL)
    database = Database(PG_TEST_URL)
    await database.upgrade()
    yield database
    await database.dispose()


@pytest.mark.postgres
async def test_a_restarted_worker_releases_its_own_claims_not_another_workers_postgres(
    pg: Database, tmp_path: Path
) -> None:
    store = DialerStore(pg)
    campaign = await running_campaign(store, tmp_path, PHONES, rules=ONE_TRY)
    mine = await store.claim_targets(campaign.id, NOW, 2, worker="w1", until=NOW + LEASE)
    theirs = await store.claim_targets(campaign.id, NOW, 1, worker="w2", until=NOW + LEASE)
    assert len(mine) == 2 and len(theirs) == 1
    ami = StubAmi()
    restarted = Dialer(
        DialerSettings(calls_per_second=1000.0),
        store,
        ami,  # type: ignore[arg-type]
        StubPrompts(),  # type: ignore[arg-type]
        CallLog(pg),
        clock=Clock(NOW),
        worker=DialerWorker(name="w1"),
    )
    await restarted.reconcile()
    # Its own two at once; the live worker's contact stays that worker's to dial.
    assert await restarted.dispatch_once() == 2
    dialled = {t["phone"] for t in await store.targets_detail(campaign.id) if t["attempts"]}
    assert dialled == {t.phone for t in mine}
