"""Issue 21 (the held-writes spool): the call tracker held a call's row, its end and its
outcome in memory while the store was away, so an engine SIGKILLed during the outage lost them
(the 60-minute soak of round 4: 7 inbound CDRs without a call-log row).  Now each is spooled to
a local SQLite file (mode 0600) before the tracker goes on, and a tracker starting later takes
them back and writes them once, in order, at its first reconciliation.

Checked against the old code: ``CallTracker`` took no spool, and the new tracker found nothing
to write (no row for the first call, the second's end and outcome missing)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import func, select

from hotline.calls.tracker import CallTracker
from hotline.core import metrics
from hotline.dialplan.names import CONTEXT_FALLBACK, CONTEXT_INBOUND
from hotline.protocol.ami import AmiEvent
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome
from hotline.store.held_spool import CALL_TRACKER, HeldSpool
from hotline.store.models import Call
from hotline.transport.ami import Subscription
from tests.unit.test_soak2_tracker_adopt import event
from tests.unit.test_soak5_tracker_held import Refusing

CALLER = "79990001122"
REFUSED = {"open", "answered", "ended", "set_outcome", "get"}


@pytest.fixture
async def call_log(tmp_path: Path) -> AsyncIterator[CallLog]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'calls.db'}")
    await db.upgrade()
    yield CallLog(db)
    await db.dispose()


async def no_channels() -> list[AmiEvent]:
    return []


def tracker_on(log: CallLog | Refusing, spool: HeldSpool) -> CallTracker:
    return CallTracker(Subscription(None, 100), cast(CallLog, log), no_channels, spool=spool)


async def rows(db: Database, uniqueid: str) -> int:
    async with db.session() as session:
        found = await session.scalar(
            select(func.count()).select_from(Call).where(Call.uniqueid == uniqueid)
        )
    return int(found or 0)


async def test_a_held_call_survives_a_kill_and_is_written_once(
    call_log: CallLog, tmp_path: Path
) -> None:
    path = tmp_path / "held" / f"{CALL_TRACKER}.sqlite"
    refusing = Refusing(call_log, ConnectionResetError(104, "Connection reset by peer"), REFUSED)
    # A call during the outage: begins, is answered, hangs up.
    tracker = tracker_on(refusing, HeldSpool(path, 1 << 20))
    await tracker.handle(
        event(
            "Newchannel",
            Uniqueid="1796370001.1",
            Channel="PJSIP/hotline-carrier-00000001",
            Context=CONTEXT_INBOUND,
            Exten="100",
            CallerIDNum=CALLER,
        )
    )
    await tracker.handle(event("Newstate", Uniqueid="1796370001.1", ChannelState="6"))
    await tracker.handle(event("Hangup", Uniqueid="1796370001.1", Cause="16"))
    del tracker  # the engine is SIGKILLed: dropped without a stop
    assert path.stat().st_mode & 0o777 == 0o600
    assert await rows(call_log.db, "1796370001.1") == 0

    refusing.away = False
    spool = HeldSpool(path, 1 << 20)
    restarted = tracker_on(call_log, spool)
    await restarted.restore()
    await restarted.handle(event("FullyBooted", Status="Fully Booted"))
    row = await call_log.get(uniqueid="1796370001.1")
    assert row is not None and row.caller == CALLER
    assert row.answered_at is not None and row.ended_at is not None
    assert row.outcome is CallOutcome.ABANDONED
    assert await rows(call_log.db, "1796370001.1") == 1
    assert await spool.entries() == []
    # Replayed again (killed before the spool was emptied): still one row, unchanged.
    again = tracker_on(call_log, HeldSpool(path, 1 << 20))
    await again.restore()
    await again.handle(event("FullyBooted", Status="Fully Booted"))
    assert await rows(call_log.db, "1796370001.1") == 1


async def test_a_held_end_and_outcome_survive_a_kill(call_log: CallLog, tmp_path: Path) -> None:
    path = tmp_path / "held" / f"{CALL_TRACKER}.sqlite"
    await call_log.open(uniqueid="1796370003.3", direction=CallDirection.INBOUND)
    refusing = Refusing(call_log, TimeoutError(), {"ended", "set_outcome"})
    tracker = tracker_on(refusing, HeldSpool(path, 1 << 20))
    await tracker.restore()
    # Known to this tracker: it saw the call begin (the row was written before the outage).
    await tracker.handle(
        event(
            "Newchannel",
            Uniqueid="1796370003.3",
            Channel="PJSIP/hotline-carrier-00000003",
            Context=CONTEXT_INBOUND,
            Exten="100",
            CallerIDNum=CALLER,
        )
    )
    await tracker.handle(
        event("Newexten", Uniqueid="1796370003.3", Context=CONTEXT_FALLBACK, Priority="1")
    )
    await tracker.handle(event("Hangup", Uniqueid="1796370003.3", Cause="16"))
    del tracker  # killed

    refusing.away = False
    restarted = tracker_on(call_log, HeldSpool(path, 1 << 20))
    await restarted.restore()
    await restarted.handle(event("FullyBooted", Status="Fully Booted"))
    row = await call_log.get(uniqueid="1796370003.3")
    assert row is not None and row.ended_at is not None
    assert row.outcome is CallOutcome.FALLBACK  # the first outcome seen wins
    assert row.hangup_cause is not None


async def test_a_full_spool_keeps_the_row_in_memory_and_counts_it(
    call_log: CallLog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    refusing = Refusing(call_log, ConnectionResetError(104, "reset"), REFUSED)
    before = metrics.REGISTRY.get_sample_value("hotline_held_writes_unspooled_total") or 0.0
    tracker = tracker_on(refusing, HeldSpool(tmp_path / "held" / "tiny.sqlite", 1))
    with caplog.at_level(logging.ERROR, logger="hotline.store.held_spool"):
        await tracker.handle(
            event(
                "Newchannel",
                Uniqueid="1796370004.4",
                Channel="PJSIP/hotline-carrier-00000004",
                Context=CONTEXT_INBOUND,
                Exten="100",
                CallerIDNum=CALLER,
            )
        )
    after = metrics.REGISTRY.get_sample_value("hotline_held_writes_unspooled_total")
    assert after == before + 1
    assert CALLER not in caplog.text and "is full" in caplog.text
    refusing.away = False
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))  # still held in memory
    assert await rows(call_log.db, "1796370004.4") == 1
