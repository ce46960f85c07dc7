"""Issue 21 (round 5, seen in the 60-minute run's log as "dialer task dialer-reconcile
failed"): a reconciliation after an AMI log-in that the store refused left the dialer marked
reconciled from its previous log-in, so nothing tried again before the next log-in and a call
whose Hangup was missed while AMI was away stayed in flight.  Now the failed reconciliation
clears the mark, and the dialer's loop (which reconciles while the mark is clear) settles it.

Checked against the old code: the mark stayed set after the refused reconciliation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dialer.model import CampaignState
from dialer.repository import DialerStore
from tests.dialer_support import NOW, Clock, running_campaign
from tests.unit.test_chaos_reconcile import ONE_TRY, db
from tests.unit.test_dialer_service import make_dialer
from tests.unit.test_soak4_dialer_store_outage import away

__all__ = ["db"]


async def test_a_reconciliation_the_store_refused_is_done_again(
    db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DialerStore(db)
    await running_campaign(store, tmp_path, ["+79131234577"], rules=ONE_TRY)
    engine, ami = make_dialer(db, Clock(NOW))
    await engine.reconcile()  # the first log-in
    assert engine._attempts.reconciled.is_set()
    assert await engine.dispatch_once() == 1
    (attempt_id,) = list(engine._live.tracked)
    ami.live = set()  # it hung up while AMI was away: no Hangup will come
    original = engine._attempts._store.inflight

    async def refused(*args: Any, **kwargs: Any) -> Any:
        raise away()

    monkeypatch.setattr(engine._attempts._store, "inflight", refused)
    with pytest.raises(type(away())):  # the FullyBooted task fails (logged by the dialer)
        await engine.reconcile()
    assert not engine._attempts.reconciled.is_set()  # the loop will reconcile again
    monkeypatch.setattr(engine._attempts._store, "inflight", original)
    await engine.reconcile()  # what the dialer's next pass does while the mark is clear
    assert engine._attempts.reconciled.is_set()
    (attempt,) = await store.attempts_detail((await store.campaign("test")).id)
    assert attempt["attempt"] == attempt_id and attempt["status"] == "unknown"
    assert engine.in_flight == 0
    await engine.dispatch_once()
    assert (await store.campaign("test")).state is CampaignState.FINISHED
