"""Issue 21 A: after a restart, a call adopted from the earlier run whose Hangup arrives while
the reconciliation is still at work must still be closed, and its campaign finish.

The state is the one the e2e restart test left when it timed out in a loaded run: the new
engine's reconciliation listed the live channels, then spent its time settling the attempts
whose channel was already gone, and meanwhile the Hangup of a listed call was handled and
dropped (nothing followed that attempt yet), so it stayed in flight for ever."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

import dialer.attempts
from dialer.engine import Dialer
from dialer.model import CampaignRules, CampaignState
from dialer.repository import DialerStore
from hotline.protocol.ami import AmiEvent
from hotline.settings import DialerSettings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, EventKind
from tests.dialer_support import NOW, Clock, running_campaign
from tests.unit.test_dialer_service import OPEN, StubAmi, StubPrompts, make_dialer

ONE_TRY = OPEN.model_copy(update={"max_attempts": 1})


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}")
    await database.upgrade()
    yield database
    await database.dispose()


def hangup(attempt_id: str, cause: str) -> AmiEvent:
    return AmiEvent.from_headers([("Event", "Hangup"), ("Uniqueid", attempt_id), ("Cause", cause)])


class HangupWhileListing(StubAmi):
    """Asterisk lists ``live``; right after, before the reconciliation gets to them, the
    calls in ``ending`` hang up and their Hangup events reach the dialer."""

    def __init__(self) -> None:
        super().__init__()
        self.dialer: Dialer | None = None
        self.ending: dict[str, str] = {}

    async def core_show_channels(self) -> list[AmiEvent]:
        listed = await super().core_show_channels()
        assert self.dialer is not None
        for attempt_id, cause in self.ending.items():
            await self.dialer.handle_event(hangup(attempt_id, cause))
        return listed


async def restarted(
    db: Database, phones: list[str], tmp_path: Path, rules: CampaignRules = ONE_TRY
) -> tuple[DialerStore, int, list[str], Dialer, HangupWhileListing]:
    """A campaign whose calls were all placed by an engine that then died."""
    store = DialerStore(db)
    campaign = await running_campaign(store, tmp_path, phones, rules=rules)
    first, _ = make_dialer(db, Clock(NOW))
    assert await first.dispatch_once() == len(phones)
    ids = [a["attempt"] for a in await store.attempts_detail(campaign.id)]
    ami = HangupWhileListing()
    second = Dialer(
        DialerSettings(calls_per_second=1000.0),
        DialerStore(db),
        ami,  # type: ignore[arg-type]
        StubPrompts(),  # type: ignore[arg-type]
        CallLog(db),
        clock=Clock(NOW + timedelta(seconds=5)),
    )
    ami.dialer = second
    return store, campaign.id, ids, second, ami


async def settled(store: DialerStore, campaign_id: int) -> list[dict[str, object]]:
    async with asyncio.timeout(10):
        while True:
            attempts = await store.attempts_detail(campaign_id)
            if all(a["status"] in ("ended", "unknown") for a in attempts):
                return attempts
            await asyncio.sleep(0.02)


async def test_hangup_during_reconcile_closes_the_adopted_call_and_the_campaign_finishes(
    db: Database, tmp_path: Path
) -> None:
    phones = ["+79131234503", "+79131234513", "+79131234563"]
    store, campaign_id, ids, dialer, ami = await restarted(db, phones, tmp_path)
    for attempt_id in ids:
        await store.mark_attempt(attempt_id, status="answered")
    # Two calls ended while the engine was down; the third was alive when Asterisk listed the
    # channels and hung up just after.
    ami.live = {ids[2]}
    ami.ending = {ids[2]: "16"}
    await dialer.reconcile()
    attempts = {a["attempt"]: a for a in await settled(store, campaign_id)}
    assert attempts[ids[2]]["status"] == "ended"
    assert dialer.in_flight == 0
    await dialer.dispatch_once()
    assert (await store.campaign("test")).state is CampaignState.FINISHED


async def test_unanswered_call_that_hangs_up_during_reconcile_is_closed(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dialer.attempts, "ORIGINATE_SETTLE_SECONDS", 0.05)
    phones = ["+79131234505", "+79131234515"]
    store, campaign_id, ids, engine, ami = await restarted(db, phones, tmp_path)
    ami.live = set(ids)
    ami.ending = {ids[0]: "19"}  # no answer
    await engine.reconcile()
    attempts = {a["attempt"]: a for a in await store.attempts_detail(campaign_id)}
    async with asyncio.timeout(10):
        while attempts[ids[0]]["status"] != "ended":
            await asyncio.sleep(0.02)
            attempts = {a["attempt"]: a for a in await store.attempts_detail(campaign_id)}
    assert attempts[ids[0]]["reason"] == "no_answer"
    # The other call still rings: followed, not settled.
    assert attempts[ids[1]]["status"] == "dialing"
    assert engine.in_flight == 1
    await engine.handle_event(hangup(ids[1], "19"))
    await settled(store, campaign_id)
    await engine.dispatch_once()
    assert (await store.campaign("test")).state is CampaignState.FINISHED


async def test_concurrent_reconciliations_close_each_call_once(
    db: Database, tmp_path: Path
) -> None:
    """FullyBooted and the dispatcher's first tick both ask for a reconciliation: the answered
    call's verdict is written to its call log once."""
    phones = ["+79131234503"]
    store, campaign_id, ids, engine, _ = await restarted(db, phones, tmp_path)
    call_log = CallLog(db)
    await call_log.open(uniqueid=ids[0], direction=CallDirection.OUTBOUND, started_at=NOW)
    await store.mark_attempt(ids[0], status="answered")
    await asyncio.gather(engine.reconcile(), engine.reconcile())
    await settled(store, campaign_id)
    call = await call_log.get(uniqueid=ids[0])
    assert call is not None
    assert [e.kind for e in call.events].count(EventKind.CAMPAIGN.value) == 1
