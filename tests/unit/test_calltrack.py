"""The AMI call tracker against a real SQLite call log, fed with recorded-shape events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.calls.tracker import CallTracker
from hotline.dialplan.names import (
    CONTEXT_FALLBACK,
    CONTEXT_INBOUND,
    CONTEXT_OPERATOR,
    CONTEXT_SIMULATED_CALLER,
)
from hotline.protocol.ami import AmiEvent
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome
from hotline.transport.ami import Subscription


def event(name: str, **headers: str) -> AmiEvent:
    return AmiEvent.from_headers([("Event", name), *headers.items()])


@pytest.fixture
async def call_log(tmp_path: Path) -> AsyncIterator[CallLog]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'calls.db'}")
    await db.upgrade()
    yield CallLog(db)
    await db.dispose()


@pytest.fixture
def tracker(call_log: CallLog) -> CallTracker:
    return CallTracker(Subscription(None, 100), call_log)


async def test_sip_call_from_first_event_to_hangup(
    tracker: CallTracker, call_log: CallLog
) -> None:
    await tracker.handle(
        event(
            "Newchannel",
            Uniqueid="1700000000.1",
            Linkedid="1700000000.1",
            Channel="PJSIP/sipp-00000001",
            Context=CONTEXT_INBOUND,
            Exten="88005553535",
            CallerIDNum="79131234567",
        )
    )
    await tracker.handle(event("Newstate", Uniqueid="1700000000.1", ChannelState="6"))
    await tracker.handle(
        event("Newexten", Uniqueid="1700000000.1", Context=CONTEXT_FALLBACK, Priority="1")
    )
    await tracker.handle(
        event(
            "Newexten",
            Uniqueid="1700000000.1",
            Context=CONTEXT_OPERATOR,
            Application="Queue",
            AppData="hotline-operators,r,,,600",
        )
    )
    await tracker.handle(event("Hangup", Uniqueid="1700000000.1", Cause="16"))

    record = await call_log.get(uniqueid="1700000000.1")
    assert record is not None
    assert record.direction == CallDirection.INBOUND
    assert (record.caller, record.callee) == ("79131234567", "88005553535")
    assert record.answered_at is not None and record.ended_at is not None
    assert record.outcome == CallOutcome.FALLBACK  # the first outcome wins
    assert record.hangup_cause == "16 normal clearing"
    assert [(e.kind, e.value) for e in record.events] == [
        ("status", "fallback"),
        ("queue", "hotline-operators"),
    ]


async def test_simulated_call_takes_the_caller_from_the_dialled_extension(
    tracker: CallTracker, call_log: CallLog
) -> None:
    common = {"Context": CONTEXT_SIMULATED_CALLER, "Exten": "79131234567"}
    await tracker.handle(
        event("Newchannel", Uniqueid="sim-1-phone", Channel="Local/x@c-0001;1", **common)
    )
    await tracker.handle(
        event("Newchannel", Uniqueid="sim-1", Channel="Local/x@c-0001;2", **common)
    )
    await tracker.handle(event("Hangup", Uniqueid="sim-1", Cause="16"))

    assert await call_log.get(uniqueid="sim-1-phone") is None  # the phone leg is not a call
    record = await call_log.get(uniqueid="sim-1")
    assert record is not None and record.simulated
    assert record.caller == "79131234567" and record.callee is None
    assert record.outcome == CallOutcome.ABANDONED


async def test_events_of_untracked_channels_are_ignored(
    tracker: CallTracker, call_log: CallLog
) -> None:
    await tracker.handle(event("Newchannel", Uniqueid="9.1", Context="default", Channel="PJSIP/a"))
    await tracker.handle(event("Hangup", Uniqueid="9.1", Cause="16"))
    assert await call_log.recent() == []


async def test_calls_that_ended_while_ami_was_down_are_closed_on_relogin(
    call_log: CallLog,
) -> None:
    live = {"2.1"}

    async def live_channels() -> list[AmiEvent]:
        return [event("CoreShowChannel", Uniqueid=uid, Context=CONTEXT_INBOUND) for uid in live]

    tracker = CallTracker(Subscription(None, 100), call_log, live_channels)
    for uid in ("1.1", "2.1"):
        await tracker.handle(
            event("Newchannel", Uniqueid=uid, Context=CONTEXT_INBOUND, Channel=f"PJSIP/{uid}")
        )
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))

    gone = await call_log.get(uniqueid="1.1")
    still = await call_log.get(uniqueid="2.1")
    assert gone is not None and gone.ended_at is not None
    assert gone.outcome == CallOutcome.ABANDONED
    assert still is not None and still.ended_at is None
    assert tracker.active_calls == {"2.1"}
