"""Issue 21 (soak, seed 3172): a campaign call that hangs up while PostgreSQL is away must
still be closed (attempt and call-log row) once the store is back, and written once.

Today's code ran the closing writes once: the hang-up task failed with OperationalError and
nothing retried it, so the call-log row stayed "in progress" for ever."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from dialer.model import CampaignState
from dialer.repository import DialerStore
from hotline.protocol.ami import AmiEvent
from hotline.settings import HeldWritesSettings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, EventKind
from tests.dialer_support import NOW, Clock, running_campaign
from tests.unit.test_chaos_reconcile import ONE_TRY, db, hangup
from tests.unit.test_dialer_service import make_dialer

__all__ = ["db"]


def away() -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception("connection refused"))


def fail_first(
    monkeypatch: pytest.MonkeyPatch, store: DialerStore, method: str, times: int
) -> list[int]:
    """The store's ``method`` fails ``times`` times (the store is away), then works."""
    original = getattr(store, method)
    calls = [0]

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] <= times:
            raise away()
        return await original(*args, **kwargs)

    monkeypatch.setattr(store, method, flaky)
    return calls


async def answered_call(db: Database, tmp_path: Path) -> tuple[Any, DialerStore, str, CallLog]:
    store = DialerStore(db)
    await running_campaign(store, tmp_path, ["+79131234571"], rules=ONE_TRY)
    engine, _ = make_dialer(db, Clock(NOW))
    # A quick back-off (the settings' own, held_writes.close_first_delay).
    engine._attempts._held = HeldWritesSettings(close_first_delay=0.01)
    assert await engine.dispatch_once() == 1
    (attempt_id,) = list(engine._live.tracked)
    call_log = CallLog(db)
    await call_log.open(uniqueid=attempt_id, direction=CallDirection.OUTBOUND, started_at=NOW)
    answer = AmiEvent.from_headers(
        [("Event", "OriginateResponse"), ("ActionID", attempt_id), ("Response", "Success")]
    )
    await engine.handle_event(answer)
    return engine, store, attempt_id, call_log


async def closed_row(call_log: CallLog, attempt_id: str) -> Any:
    async with asyncio.timeout(10):
        while True:
            call = await call_log.get(uniqueid=attempt_id)
            assert call is not None
            # The end and outcome are one write, the campaign event the next: wait for both.
            logged = any(e.kind == EventKind.CAMPAIGN.value for e in call.events)
            if call.ended_at is not None and call.outcome is not None and logged:
                return call
            await asyncio.sleep(0.02)


@pytest.mark.parametrize(
    ("method", "times"),
    [
        ("attempt", 2),  # away when the hang-up is handled: nothing written yet
        ("finish_if_done", 1),  # away after the attempt was closed, before its call log
    ],
)
async def test_campaign_call_hung_up_during_an_outage_is_closed_once(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str, times: int
) -> None:
    engine, store, attempt_id, call_log = await answered_call(db, tmp_path)
    calls = fail_first(monkeypatch, engine._attempts._store, method, times)
    await engine.handle_event(hangup(attempt_id, "16"))
    call = await closed_row(call_log, attempt_id)
    assert calls[0] > times  # retried after the outage
    assert [e.kind for e in call.events].count(EventKind.CAMPAIGN.value) == 1
    (attempt,) = await store.attempts_detail((await store.campaign("test")).id)
    assert attempt["status"] == "ended"
    assert (await store.campaign("test")).state is CampaignState.FINISHED
    assert engine.in_flight == 0
