"""Issue 21 (R-033, found by the soak's CDR invariant): a call that began while no engine ran
(or while the database refused its row) and is still in progress when the engine lists the
channels gets its call-log row then, and its hang-up is tracked like any other; a campaign
call the dialer registered and a Local channel's own half are left alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy.exc import OperationalError

from hotline.calls.tracker import CallTracker
from hotline.core.clock import utc_now
from hotline.dialplan.names import CONTEXT_INBOUND, CONTEXT_OPERATOR, CONTEXT_SIMULATED_CALLER
from hotline.protocol.ami import AmiEvent
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection
from hotline.transport.ami import Subscription


def event(name: str, **headers: str) -> AmiEvent:
    return AmiEvent.from_headers([("Event", name), *headers.items()])


@pytest.fixture
async def call_log(tmp_path: Path) -> AsyncIterator[CallLog]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'calls.db'}")
    await db.upgrade()
    yield CallLog(db)
    await db.dispose()


CHANNELS = [
    # A carrier's caller, in the queue for 42 s already: the engine was away when it came.
    event(
        "CoreShowChannel",
        Uniqueid="1796336284.162",
        Linkedid="1796336284.162",
        Channel="PJSIP/hotline-carrier-0000002a",
        Context=CONTEXT_OPERATOR,
        ChannelState="6",
        CallerIDNum="79135550003",
        Duration="00:00:42",
    ),
    # A simulated caller still ringing into the IVR.
    event(
        "CoreShowChannel",
        Uniqueid="sim-5f5c93b7f881-ivr",
        Channel="Local/79135550001@hotline-sim-caller-00000007;2",
        Context=CONTEXT_INBOUND,
        ChannelState="4",
        CallerIDNum="79135550001",
        Duration="00:00:01",
    ),
    # The simulator's own phone half, and a campaign callee sent to an operator.
    event(
        "CoreShowChannel",
        Uniqueid="sim-5f5c93b7f881-phone",
        Channel="Local/79135550001@hotline-sim-caller-00000007;1",
        Context=CONTEXT_SIMULATED_CALLER,
    ),
    event(
        "CoreShowChannel",
        Uniqueid="885e5b19b78a410d9009e8b7e1f3f8a8",
        Channel="PJSIP/hotline-carrier-0000002b",
        Context=CONTEXT_OPERATOR,
        ChannelState="6",
    ),
]


async def test_a_call_in_progress_the_engine_never_saw_begin_is_registered_and_tracked(
    call_log: CallLog,
) -> None:
    await call_log.open(
        uniqueid="885e5b19b78a410d9009e8b7e1f3f8a8", direction=CallDirection.OUTBOUND
    )

    async def live() -> list[AmiEvent]:
        return CHANNELS

    tracker = CallTracker(Subscription(None, 100), call_log, live)  # a fresh engine
    before = utc_now()
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))

    queued = await call_log.get(uniqueid="1796336284.162")
    assert queued is not None and queued.direction is CallDirection.INBOUND
    assert (queued.caller, queued.channel) == ("79135550003", "PJSIP/hotline-carrier-0000002a")
    assert queued.answered_at is not None and queued.ended_at is None
    assert abs(queued.started_at - (before - timedelta(seconds=42))) < timedelta(seconds=5)
    ringing = await call_log.get(uniqueid="sim-5f5c93b7f881-ivr")
    assert ringing is not None and ringing.simulated and ringing.answered_at is None
    assert await call_log.get(uniqueid="sim-5f5c93b7f881-phone") is None
    assert tracker.active_calls == {"1796336284.162", "sim-5f5c93b7f881-ivr"}

    # Its hang-up is now seen: closed with its cause, not left for the reconciliation.
    await tracker.handle(event("Hangup", Uniqueid="1796336284.162", Cause="16"))
    ended = await call_log.get(uniqueid="1796336284.162")
    assert ended is not None and ended.ended_at is not None
    assert ended.hangup_cause is not None
    # A second listing registers nothing twice.
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))
    assert len(await call_log.recent()) == 3
    campaign = await call_log.get(uniqueid="885e5b19b78a410d9009e8b7e1f3f8a8")
    assert campaign is not None and campaign.direction is CallDirection.OUTBOUND
    assert campaign.ended_at is None  # the dialer settles its own


class DatabaseAway:
    """The call log while the database is away: every write refused."""

    def __init__(self, call_log: CallLog) -> None:
        self.call_log = call_log
        self.away = True

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.call_log, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.away:
                raise OperationalError("INSERT", None, ConnectionRefusedError("refused"))
            return await method(*args, **kwargs)

        return call


async def test_a_call_during_a_database_outage_is_registered_when_it_is_back(
    call_log: CallLog,
) -> None:
    flaky = DatabaseAway(call_log)

    async def live() -> list[AmiEvent]:
        return []

    tracker = CallTracker(Subscription(None, 100), cast(CallLog, flaky), live)
    uid = "1796337964.0"
    channel = "PJSIP/hotline-carrier-00000000"
    await tracker.handle(
        event(
            "Newchannel",
            Uniqueid=uid,
            Context=CONTEXT_INBOUND,
            Channel=channel,
            CallerIDNum="79135550003",
            Exten="88005553535",
        )
    )
    await tracker.handle(event("Newstate", Uniqueid=uid, ChannelState="6"))
    await tracker.handle(event("Hangup", Uniqueid=uid, Cause="16"))
    with pytest.raises(OperationalError):  # still away: kept for the next round
        await tracker.handle(event("FullyBooted", Status="Fully Booted"))
    assert await call_log.get(uniqueid=uid) is None

    flaky.away = False
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))
    row = await call_log.get(uniqueid=uid)
    assert row is not None and row.direction is CallDirection.INBOUND
    assert (row.caller, row.callee, row.channel) == ("79135550003", "88005553535", channel)
    assert row.answered_at is not None and row.ended_at is not None
    assert row.started_at <= row.answered_at <= row.ended_at
    assert row.hangup_cause is not None
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))  # written once
    assert len(await call_log.recent()) == 1
