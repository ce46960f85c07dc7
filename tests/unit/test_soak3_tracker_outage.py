"""Issue 21, item (c) of the 55-minute soak (seed 2160: 13 inbound CDRs without a call row):
a call that began just before the engine's AMI log-in (Asterisk or the engine had just
started: no Newchannel for it) while the database was away was lost: the log-in's listing
could not ask the database about it and dropped it, so its hang-up was ignored and it was
gone before the database came back.  Now it is kept to register later, with its answer and
its end (seen as a Hangup, or found gone at the next listing)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy.exc import OperationalError

from hotline.calls.tracker import CallTracker
from hotline.dialplan.names import CONTEXT_INBOUND, CONTEXT_OPERATOR
from hotline.protocol.ami import AmiEvent
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection
from hotline.transport.ami import Subscription
from tests.unit.test_soak2_tracker_adopt import DatabaseAway, event


@pytest.fixture
async def call_log(tmp_path: Path) -> AsyncIterator[CallLog]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'calls.db'}")
    await db.upgrade()
    yield CallLog(db)
    await db.dispose()


def _channel(uniqueid: str, number: str, context: str = CONTEXT_INBOUND) -> AmiEvent:
    return event(
        "CoreShowChannel",
        Uniqueid=uniqueid,
        Channel=f"PJSIP/hotline-carrier-0000000{number}",
        Context=context,
        ChannelState="6",
        CallerIDNum="79990001122",
        Duration="00:00:01",
    )


async def test_calls_found_at_log_in_while_the_database_is_away_are_registered(
    call_log: CallLog,
) -> None:
    flaky = DatabaseAway(call_log)
    channels = [_channel("1796340252.0", "0"), _channel("1796340253.1", "1")]

    async def live() -> list[AmiEvent]:
        return list(channels)

    tracker = CallTracker(Subscription(None, 100), cast(CallLog, flaky), live)
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))  # kept, not dropped
    assert tracker.active_calls == {"1796340252.0", "1796340253.1"}
    await tracker.handle(event("Hangup", Uniqueid="1796340252.0", Cause="16"))
    channels.clear()  # the other one ended while AMI was away too
    with pytest.raises(OperationalError):  # the rows still wait: a failed round, logged
        await tracker.handle(event("FullyBooted", Status="Fully Booted"))

    flaky.away = False
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))
    for uniqueid in ("1796340252.0", "1796340253.1"):
        row = await call_log.get(uniqueid=uniqueid)
        assert row is not None and row.direction is CallDirection.INBOUND
        assert row.caller == "79990001122"
        assert row.answered_at is not None and row.ended_at is not None
    assert tracker.active_calls == frozenset()
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))  # written once
    assert len(await call_log.recent()) == 2


async def test_a_campaign_call_kept_while_away_is_left_to_the_dialer(call_log: CallLog) -> None:
    await call_log.open(uniqueid="885e5b19b78a", direction=CallDirection.OUTBOUND)
    flaky = DatabaseAway(call_log)

    async def live() -> list[AmiEvent]:
        return [_channel("885e5b19b78a", "2", CONTEXT_OPERATOR)]

    tracker = CallTracker(Subscription(None, 100), cast(CallLog, flaky), live)
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))
    await tracker.handle(event("Hangup", Uniqueid="885e5b19b78a", Cause="16"))
    flaky.away = False
    await tracker.handle(event("FullyBooted", Status="Fully Booted"))
    campaign = await call_log.get(uniqueid="885e5b19b78a")
    assert campaign is not None and campaign.direction is CallDirection.OUTBOUND
    assert campaign.ended_at is None and campaign.caller is None  # the dialer settles it
