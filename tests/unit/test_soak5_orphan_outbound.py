"""Issue 21 (round 5): a campaign call whose attempt was closed but whose call-log end the store
kept refusing past the dialer's retries (a long PostgreSQL outage) stayed "in progress" for
ever: the dialer's reconciliation only looks at attempts in flight, the call tracker's only at
inbound rows.  The tracker's reconciliation now closes such a row once Asterisk no longer has
the channel, with the attempt's end and the outcome the dialer gives it.

Checked against the old code: the row stayed open after the reconciliation."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from hotline.calls.tracker import ENDED_AFTER_ATTEMPT, CallTracker
from hotline.protocol.ami import AmiEvent
from hotline.settings import HeldWritesSettings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallOutcome, EventKind
from hotline.transport.ami import Subscription
from tests.unit.test_chaos_reconcile import db, hangup
from tests.unit.test_soak2_tracker_adopt import event
from tests.unit.test_soak4_dialer_store_outage import answered_call, away

__all__ = ["db"]


async def orphan(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A campaign call whose attempt closes while the call log's end is refused every try."""
    engine, store, attempt_id, call_log = await answered_call(db, tmp_path)
    engine._attempts._held = HeldWritesSettings(close_tries=2, close_first_delay=0.01)

    async def refused(*args: Any, **kwargs: Any) -> None:
        raise away()

    monkeypatch.setattr(engine._attempts._call_log, "ended", refused)
    await engine.handle_event(hangup(attempt_id, "16"))
    async with asyncio.timeout(30):  # the dialer's two tries, then it gives up
        while engine.in_flight or engine._tasks:
            await asyncio.sleep(0.02)
    (attempt,) = await store.attempts_detail((await store.campaign("test")).id)
    assert attempt["status"] == "ended"
    row = await call_log.get(uniqueid=attempt_id)
    assert row is not None and row.ended_at is None  # the orphan
    return attempt_id


async def reconcile(db: Database, live: list[str]) -> None:
    async def channels() -> list[AmiEvent]:
        return [event("CoreShowChannel", Uniqueid=u, Context="hotline-campaign") for u in live]

    tracker = CallTracker(Subscription(None, 100), CallLog(db), channels)
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))


async def test_an_open_campaign_row_of_a_closed_attempt_is_closed(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempt_id = await orphan(db, tmp_path, monkeypatch)
    await reconcile(db, live=[])
    row = await CallLog(db).get(uniqueid=attempt_id)
    assert row is not None and row.ended_at is not None
    assert row.outcome == CallOutcome.ABANDONED.value  # not confirmed: the dialer's verdict
    assert (EventKind.STATUS.value, ENDED_AFTER_ATTEMPT) in [(e.kind, e.value) for e in row.events]
    await reconcile(db, live=[])  # closed once
    again = await CallLog(db).get(uniqueid=attempt_id)
    assert again is not None and again.ended_at == row.ended_at
    assert [e.value for e in again.events].count(ENDED_AFTER_ATTEMPT) == 1


async def test_a_campaign_row_whose_channel_asterisk_still_has_is_left_open(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempt_id = await orphan(db, tmp_path, monkeypatch)
    await reconcile(db, live=[attempt_id])
    row = await CallLog(db).get(uniqueid=attempt_id)
    assert row is not None and row.ended_at is None
