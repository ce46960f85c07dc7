"""Issue 21 (soak, seed 3172): a call kept to register later during a database outage, then a
graceful stop (SIGTERM) before the tracker's next round: the row was never written.  Now a
stopping tracker tries the held rows once more, time-bounded, and logs (masked) the rest."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest

from hotline.calls.tracker import CallTracker
from hotline.dialplan.names import CONTEXT_INBOUND
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection
from hotline.transport.ami import Subscription
from tests.unit.test_soak2_tracker_adopt import DatabaseAway, event

CALLER = "79990001122"


@pytest.fixture
async def call_log(tmp_path: Path) -> AsyncIterator[CallLog]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'calls.db'}")
    await db.upgrade()
    yield CallLog(db)
    await db.dispose()


async def held_then_stopped(call_log: CallLog, back: bool) -> None:
    """A call begins and ends while the database is away; the engine stops (the tracker's
    task is cancelled) before a reconciliation round, the database back or not."""
    flaky = DatabaseAway(call_log)
    events = Subscription(None, 100)
    # A long round: the stop comes before it.
    tracker = CallTracker(events, cast(CallLog, flaky), reconcile_seconds=3600)
    task = asyncio.create_task(tracker.run())
    await asyncio.sleep(0)  # the tracker runs, waiting for events
    newchannel = event(
        "Newchannel",
        Uniqueid="1796348999.84",
        Channel="PJSIP/hotline-carrier-00000001",
        Context=CONTEXT_INBOUND,
        Exten="100",
        CallerIDNum=CALLER,
    )
    await tracker.handle(newchannel)
    await tracker.handle(event("Hangup", Uniqueid="1796348999.84", Cause="16"))
    flaky.away = not back
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_graceful_stop_writes_the_rows_held_for_an_outage(call_log: CallLog) -> None:
    await held_then_stopped(call_log, back=True)
    row = await call_log.get(uniqueid="1796348999.84")
    assert row is not None and row.direction is CallDirection.INBOUND
    assert row.caller == CALLER and row.ended_at is not None


async def test_rows_still_refused_at_stop_are_logged_masked(
    call_log: CallLog, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="hotline.calls.tracker"):
        await held_then_stopped(call_log, back=False)
    assert await call_log.get(uniqueid="1796348999.84") is None
    lost = [r.getMessage() for r in caplog.records if "not registered" in r.getMessage()]
    assert len(lost) == 1 and "1796348999.84" in lost[0]
    assert CALLER not in lost[0]


class DatabaseHanging(DatabaseAway):
    """The call log while the database hangs (a lock held): every write waits."""

    def __getattr__(self, name: str) -> object:
        async def call(*args: object, **kwargs: object) -> None:
            await asyncio.Event().wait()

        return call


async def test_the_last_try_at_stop_is_time_bounded(
    call_log: CallLog, caplog: pytest.LogCaptureFixture
) -> None:
    tracker = CallTracker(Subscription(None, 100), cast(CallLog, DatabaseAway(call_log)))
    await tracker.handle(
        event("Newchannel", Uniqueid="1796348999.85", Context=CONTEXT_INBOUND, Exten="100")
    )
    tracker._log = cast(CallLog, DatabaseHanging(call_log))
    with caplog.at_level(logging.ERROR, logger="hotline.calls.tracker"):
        async with asyncio.timeout(5):  # not the test's subject: a guard against hanging
            await tracker.write_held(seconds=0.05)
    assert any("1796348999.85" in r.getMessage() for r in caplog.records)
