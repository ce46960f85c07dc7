"""Found by the soak (issue 21): call rows left open after faults.  A call whose hang-up the
engine never wrote (the engine was killed or stopped meanwhile, Asterisk was restarted, the
database refused the write) is closed by reconciliation from the store's open rows, on every
AMI log-in (once the log-in has finished) and periodically."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hotline.app import Engine
from hotline.calls.tracker import CallTracker
from hotline.core.clock import utc_now
from hotline.protocol.ami import AmiEvent
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome
from hotline.transport.ami import AmiNotConnected, Subscription


def event(name: str, **headers: str) -> AmiEvent:
    return AmiEvent.from_headers([("Event", name), *headers.items()])


@pytest.fixture
async def call_log(tmp_path: Path) -> AsyncIterator[CallLog]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'calls.db'}")
    await db.upgrade()
    yield CallLog(db)
    await db.dispose()


async def open_calls(call_log: CallLog) -> None:
    """Rows a previous engine opened: two inbound (one still live), one outbound."""
    earlier = utc_now() - timedelta(seconds=30)
    for uid in ("gone.1", "live.2"):
        await call_log.open(uniqueid=uid, direction=CallDirection.INBOUND, started_at=earlier)
    await call_log.open(uniqueid="attempt-3", direction=CallDirection.OUTBOUND, started_at=earlier)


async def live_channels() -> list[AmiEvent]:
    return [event("CoreShowChannel", Uniqueid="live.2", Context="hotline-operator")]


async def assert_only_the_gone_call_closed(call_log: CallLog) -> None:
    gone = await call_log.get(uniqueid="gone.1")
    assert gone is not None and gone.ended_at is not None
    assert gone.outcome == CallOutcome.ABANDONED
    assert [e.value for e in gone.events] == ["ended while AMI was disconnected"]
    for uid in ("live.2", "attempt-3"):  # still live; the dialer settles its own
        record = await call_log.get(uniqueid=uid)
        assert record is not None and record.ended_at is None


async def test_a_restarted_engine_closes_the_calls_that_ended_while_it_was_down(
    call_log: CallLog,
) -> None:
    await open_calls(call_log)
    tracker = CallTracker(Subscription(None, 100), call_log, live_channels)  # knows no call
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))
    await assert_only_the_gone_call_closed(call_log)


async def test_calls_whose_hang_up_could_not_be_written_are_closed_periodically(
    call_log: CallLog,
) -> None:
    await open_calls(call_log)
    tracker = CallTracker(Subscription(None, 100), call_log, live_channels, 0.05)
    task = asyncio.create_task(tracker.run())
    try:
        async with asyncio.timeout(5):
            while (await call_log.get(uniqueid="gone.1")).ended_at is None:  # type: ignore[union-attr]
                await asyncio.sleep(0.02)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await assert_only_the_gone_call_closed(call_log)


class LoggingInAmi:
    """FullyBooted has arrived, the log-in completes a moment later."""

    def __init__(self) -> None:
        self.connected = False

    async def wait_connected(self, within: float) -> None:
        await asyncio.sleep(0.05)
        self.connected = True

    async def core_show_channels(self) -> list[Any]:
        if not self.connected:
            raise AmiNotConnected("AMI is not connected")
        return [SimpleNamespace(uniqueid="live.2")]


async def test_the_live_channels_are_listed_once_the_log_in_has_finished() -> None:
    engine: Any = SimpleNamespace(ami=LoggingInAmi())
    assert [c.uniqueid for c in await Engine._live_channels(engine)] == ["live.2"]
