"""Issue 19 item 1: a Hangup whose end is being written when reconciliation runs.  The tracker
marks the end held (``_unended``) before writing it, so reconciliation (every few seconds)
took every in-flight end of a hang-up burst for one the database had refused: it wrote it a
second time, and the Hangup's own write then raised KeyError (seen in the SIP menu bench at
256 callers: "call tracker failed on Hangup").

Checked against the old code: ``ended`` ran twice and the Hangup raised KeyError."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest

from hotline.calls.tracker import CallTracker
from hotline.dialplan.names import CONTEXT_INBOUND
from hotline.protocol.ami import AmiEvent
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.transport.ami import Subscription
from tests.unit.test_soak2_tracker_adopt import event

UNIQUEID = "1796370001.5"
# Generous: only bounds a hang, never decides the outcome.
WITHIN = 30.0


@pytest.fixture
async def call_log(tmp_path: Path) -> AsyncIterator[CallLog]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'calls.db'}")
    await db.upgrade()
    yield CallLog(db)
    await db.dispose()


class HeldEnd:
    """The call log, with the first ``ended`` held at a gate until the test opens it."""

    def __init__(self, call_log: CallLog) -> None:
        self.call_log = call_log
        self.ended_calls = 0
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.call_log, name)

    async def ended(self, uniqueid: str, **kwargs: Any) -> Any:
        self.ended_calls += 1
        if self.ended_calls == 1:
            self.entered.set()
            await self.gate.wait()
        return await self.call_log.ended(uniqueid, **kwargs)


async def test_reconciliation_leaves_an_end_being_written_to_its_hangup(
    call_log: CallLog,
) -> None:
    held = HeldEnd(call_log)

    async def live() -> list[AmiEvent]:
        return []

    tracker = CallTracker(Subscription(None, 100), cast(CallLog, held), live)
    await tracker.handle(
        event(
            "Newchannel",
            Uniqueid=UNIQUEID,
            Channel="PJSIP/hotline-carrier-00000005",
            Context=CONTEXT_INBOUND,
            Exten="100",
            CallerIDNum="79990001122",
        )
    )
    hangup = asyncio.create_task(tracker.handle(event("Hangup", Uniqueid=UNIQUEID, Cause="16")))
    async with asyncio.timeout(WITHIN):
        await held.entered.wait()
    await tracker.write_held()  # what reconciliation does first: write the held ends
    held.gate.set()
    async with asyncio.timeout(WITHIN):
        await hangup  # raised KeyError on the old code
    assert held.ended_calls == 1
    row = await call_log.get(uniqueid=UNIQUEID)
    assert row is not None and row.ended_at is not None
