"""Issue 21 (round 5): the call tracker held a call's row through a database outage only when
the failure was one of its own two error classes; a store failure that surfaced otherwise (the
driver's OSError, a TimeoutError: the store's own list, ``STORE_ERRORS``) dropped the row.  A
call found at the AMI log-in whose look-up worked but whose row the store then refused ended
the reconciliation round and was lost.  Both are now held and written once the store is back.

Checked against the old code: the first test's ``handle`` raised ConnectionResetError and
TimeoutError, and the second's FullyBooted raised from the refused ``open``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest

from hotline.calls.tracker import ENDED_UNSEEN, CallTracker
from hotline.core.clock import utc_now
from hotline.dialplan.names import CONTEXT_INBOUND, CONTEXT_OPERATOR
from hotline.protocol.ami import AmiEvent
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome
from hotline.transport.ami import Subscription
from tests.unit.test_soak2_tracker_adopt import event

CALLER = "79990001122"


@pytest.fixture
async def call_log(tmp_path: Path) -> AsyncIterator[CallLog]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'calls.db'}")
    await db.upgrade()
    yield CallLog(db)
    await db.dispose()


class Refusing:
    """The call log with the store refusing ``methods`` with ``error`` while ``away``."""

    def __init__(self, call_log: CallLog, error: Exception, methods: set[str]) -> None:
        self.call_log = call_log
        self.error = error
        self.methods = methods
        self.away = True

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.call_log, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.away and name in self.methods:
                raise self.error
            return await method(*args, **kwargs)

        return call


@pytest.mark.parametrize(
    "error",
    [ConnectionResetError(104, "Connection reset by peer"), TimeoutError()],
    ids=["connection-reset", "timeout"],
)
async def test_a_row_refused_with_any_store_error_is_held_and_written(
    call_log: CallLog, error: Exception
) -> None:
    refusing = Refusing(call_log, error, {"open", "answered", "ended", "set_outcome", "get"})

    async def live() -> list[AmiEvent]:
        return []

    tracker = CallTracker(Subscription(None, 100), cast(CallLog, refusing), live)
    await tracker.handle(
        event(
            "Newchannel",
            Uniqueid="1796360001.7",
            Channel="PJSIP/hotline-carrier-00000007",
            Context=CONTEXT_INBOUND,
            Exten="100",
            CallerIDNum=CALLER,
        )
    )
    await tracker.handle(event("Newstate", Uniqueid="1796360001.7", ChannelState="6"))
    await tracker.handle(event("Hangup", Uniqueid="1796360001.7", Cause="16"))
    refusing.away = False
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))
    row = await call_log.get(uniqueid="1796360001.7")
    assert row is not None and row.direction is CallDirection.INBOUND
    assert row.caller == CALLER
    assert row.answered_at is not None and row.ended_at is not None


async def test_a_call_found_at_log_in_whose_row_is_refused_is_held(call_log: CallLog) -> None:
    # The look-up works, the row is refused (a lock held past the wait, the server going
    # down between the two): the round goes on, the other call is registered too.
    refusing = Refusing(
        call_log, ConnectionResetError(104, "Connection reset by peer"), {"open", "answered"}
    )
    channels = [
        event(
            "CoreShowChannel",
            Uniqueid=uniqueid,
            Channel=f"PJSIP/hotline-carrier-0000000{n}",
            Context=context,
            ChannelState="6",
            CallerIDNum=CALLER,
            Duration="00:00:03",
        )
        for n, (uniqueid, context) in enumerate(
            [("1796360002.8", CONTEXT_INBOUND), ("1796360003.9", CONTEXT_OPERATOR)]
        )
    ]

    async def live() -> list[AmiEvent]:
        return list(channels)

    tracker = CallTracker(Subscription(None, 100), cast(CallLog, refusing), live)
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))  # no error: held
    assert tracker.active_calls == {"1796360002.8", "1796360003.9"}
    await tracker.handle(event("Hangup", Uniqueid="1796360002.8", Cause="16"))
    refusing.away = False
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))
    ended = await call_log.get(uniqueid="1796360002.8")
    assert ended is not None and ended.answered_at is not None and ended.ended_at is not None
    going_on = await call_log.get(uniqueid="1796360003.9")
    assert going_on is not None and going_on.ended_at is None
    assert going_on.direction is CallDirection.INBOUND


async def test_an_end_the_store_refuses_is_written_later_with_its_own_time(
    call_log: CallLog,
) -> None:
    # Seen in the hour's log ("call tracker failed on Hangup" during PostgreSQL's restart):
    # the reconciliation closed such rows later, with its own time and no hang-up cause.
    async def live() -> list[AmiEvent]:
        return []

    refusing = Refusing(call_log, ConnectionResetError(104, "reset"), {"ended", "set_outcome"})
    tracker = CallTracker(Subscription(None, 100), cast(CallLog, refusing), live)
    await tracker.handle(
        event(
            "Newchannel",
            Uniqueid="1796360004.10",
            Channel="PJSIP/hotline-carrier-0000000a",
            Context=CONTEXT_INBOUND,
            Exten="100",
            CallerIDNum=CALLER,
        )
    )
    await tracker.handle(event("Hangup", Uniqueid="1796360004.10", Cause="16"))  # no error
    hung_up = utc_now()
    refusing.away = False
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))
    row = await call_log.get(uniqueid="1796360004.10")
    assert row is not None and row.ended_at is not None and row.ended_at <= hung_up
    assert row.hangup_cause is not None
    assert ENDED_UNSEEN not in [e.value for e in row.events]


async def test_an_outcome_the_store_refuses_is_written_before_the_end(
    call_log: CallLog,
) -> None:
    # Seen in the hour's log ("call tracker failed on Newexten"): the caller reached the
    # operator queue while PostgreSQL restarted; the row ended up "abandoned".
    async def live() -> list[AmiEvent]:
        return []

    refusing = Refusing(call_log, ConnectionResetError(104, "reset"), {"ended", "set_outcome"})
    tracker = CallTracker(Subscription(None, 100), cast(CallLog, refusing), live)
    uniqueid = "1796360005.11"
    await tracker.handle(
        event(
            "Newchannel",
            Uniqueid=uniqueid,
            Channel="PJSIP/hotline-carrier-0000000b",
            Context=CONTEXT_INBOUND,
            Exten="100",
            CallerIDNum=CALLER,
        )
    )
    await tracker.handle(
        event(
            "Newexten",
            Uniqueid=uniqueid,
            Context=CONTEXT_OPERATOR,
            Application="Queue",
            AppData="hotline-operators,,,,40",
        )
    )
    await tracker.handle(event("Hangup", Uniqueid=uniqueid, Cause="16"))
    refusing.away = False
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))
    row = await call_log.get(uniqueid=uniqueid)
    assert row is not None and row.ended_at is not None
    assert row.outcome == CallOutcome.OPERATOR.value
    assert ("queue", "hotline-operators") in [(e.kind, e.value) for e in row.events]
