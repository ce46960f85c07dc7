"""Issue 17 (R-030, R-034): an attended transfer's consultation call has its own uniqueid;
its [hotline-transfer] UserEvent names the caller's, so the specialist's answer is timed,
their screen pop shows the caller's call and the receiving queue's events are the caller's.
Scripted AMI events over a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hotline.contact_center.operators import screen
from hotline.contact_center.queue_report import build_report
from hotline.contact_center.queue_tracker import QueueTracker
from hotline.contact_center.transfers import TransferTracker, consultation_leg, transfer_call
from hotline.dialplan.names import (
    CONTEXT_TRANSFER,
    TRANSFER_LEG_EVENT,
    TRANSFER_OF_HEADER,
)
from hotline.protocol.ami import AmiEvent
from hotline.settings import load_settings
from hotline.store.audit import Actor
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, QueueEventKind
from hotline.store.models.transfers import TransferKind, TransferTarget
from hotline.store.operators import Operators
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from hotline.store.recordings import Recordings
from hotline.store.transfers import Transfers
from hotline.transport.ami import AmiError, Subscription

CHANNEL = "PJSIP/carrier-00000001"
UNIQUEID = "1700000000.1"
LEG = "1700000000.9"
QUEUE = "hotline-dispatcher"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.upgrade()
    yield database
    await database.dispose()


def event(name: str, **headers: str) -> AmiEvent:
    return AmiEvent.from_headers([("Event", name), *headers.items()])


LEG_EVENT = event(
    "UserEvent", UserEvent=TRANSFER_LEG_EVENT, Uniqueid=LEG, **{TRANSFER_OF_HEADER: UNIQUEID}
)


async def attended(db: Database, target_kind: TransferTarget, target: str) -> str:
    """A call anna answered 30 s ago and transferred (attended) 3 s ago; its call id."""
    start = datetime.now(UTC) - timedelta(seconds=30)
    call_id = await CallLog(db).open(
        uniqueid=UNIQUEID, direction=CallDirection.INBOUND, channel=CHANNEL, caller="79001234567"
    )
    for kind, member in ((QueueEventKind.JOIN, None), (QueueEventKind.CONNECT, "anna")):
        await QueueEvents(db).add(
            QueueEventRecord(start, kind, UNIQUEID, "hotline-operators", member)
        )
    await Transfers(db).add(
        datetime.now(UTC) - timedelta(seconds=3),
        call_id,
        UNIQUEID,
        "anna",
        TransferKind.ATTENDED,
        target_kind,
        target,
        "r",
    )
    return call_id


def test_the_consultation_legs_user_event_names_the_callers_call() -> None:
    assert consultation_leg(LEG_EVENT) == (LEG, UNIQUEID)
    other = event("UserEvent", UserEvent="HotlineVoiceQuality", Uniqueid=LEG)
    assert consultation_leg(other) is None
    blind = event("UserEvent", UserEvent=TRANSFER_LEG_EVENT, Uniqueid=LEG)
    assert consultation_leg(blind) is None
    assert consultation_leg(event("DialEnd", Uniqueid=LEG)) is None


async def test_a_specialists_answer_of_the_consultation_is_timed_and_popped(
    db: Database,
) -> None:
    call_id = await attended(db, TransferTarget.OPERATOR, "vera")
    transfers, queue_events = Transfers(db), QueueEvents(db)
    tracker = TransferTracker(Subscription(None, 10), transfers, queue_events)
    await tracker.handle(LEG_EVENT)
    await tracker.handle(
        event("DialEnd", Uniqueid=LEG, DialStatus="ANSWER", Context=CONTEXT_TRANSFER)
    )
    [stored] = await transfers.for_uniqueid(UNIQUEID)
    assert stored.answered_by == "vera"
    assert stored.answer_seconds is not None and 2 < stored.answer_seconds < 40
    # vera's screen pop is the caller's call.
    connect = await queue_events.latest_connect("vera")
    assert connect is not None and connect.uniqueid == UNIQUEID
    pop = await screen("vera", CallLog(db), queue_events)
    assert pop is not None and pop["call_id"] == call_id
    # The transfer KPIs count it.
    now = datetime.now(UTC)
    report = await build_report(
        db, load_settings(), now - timedelta(minutes=5), now + timedelta(minutes=1)
    )
    assert report.kpi("transfer_answer_within_target").value == 1.0
    assert report.kpi("transfer_answer_time").value is not None


async def test_the_receiving_queues_events_are_the_callers_call(db: Database) -> None:
    call_id = await attended(db, TransferTarget.QUEUE, "dispatcher")
    queue_events, transfers = QueueEvents(db), Transfers(db)
    queue_tracker = QueueTracker(Subscription(None, 10), queue_events, Recordings(db), CallLog(db))
    tracker = TransferTracker(Subscription(None, 10), transfers, queue_events)
    scripted = [
        LEG_EVENT,
        event("QueueCallerJoin", Uniqueid=LEG, Queue=QUEUE, Position="1"),
        event("AgentConnect", Uniqueid=LEG, Queue=QUEUE, MemberName="nina", HoldTime="4"),
    ]
    for e in scripted:
        await queue_tracker.handle(e)
        await tracker.handle(e)
    kinds = [(e.kind, e.queue) for e in await queue_events.for_uniqueid(UNIQUEID)]
    assert (QueueEventKind.JOIN, QUEUE) in kinds and (QueueEventKind.CONNECT, QUEUE) in kinds
    assert await queue_events.for_uniqueid(LEG) == []
    pop = await screen("nina", CallLog(db), queue_events)
    assert pop is not None and (pop["call_id"], pop["uniqueid"]) == (call_id, UNIQUEID)
    [stored] = await transfers.for_uniqueid(UNIQUEID)
    assert stored.answered_by == "nina" and stored.answered_at is not None
    # Once the leg hangs up, a later event of that uniqueid is its own again.
    await queue_tracker.handle(event("Hangup", Uniqueid=LEG))
    await queue_tracker.handle(event("AgentComplete", Uniqueid=LEG, Queue=QUEUE))
    assert len(await queue_events.for_uniqueid(LEG)) == 1


class FailingAmi:
    connected = True

    async def action(self, headers: dict[str, Any]) -> dict[str, str]:
        raise AmiError("Asterisk went away")

    async def getvar(self, channel: str, variable: str) -> str | None:
        return "Local/1-30-anna@hotline-sim-operator-00000002;1"


async def test_a_transfer_asterisk_did_not_carry_out_is_not_stored(db: Database) -> None:
    await CallLog(db).open(
        uniqueid=UNIQUEID, direction=CallDirection.INBOUND, channel=CHANNEL, caller="79001234567"
    )
    await QueueEvents(db).add(
        QueueEventRecord(
            datetime.now(UTC), QueueEventKind.CONNECT, UNIQUEID, "hotline-operators", "anna"
        )
    )
    await Operators(db).add("vera", "PJSIP/vera", simulated=False)
    with pytest.raises(AmiError):
        await transfer_call(
            FailingAmi(),  # type: ignore[arg-type]
            db,
            load_settings(),
            "anna",
            TransferKind.ATTENDED,
            TransferTarget.OPERATOR,
            "vera",
            "r",
            Actor("anna", "web"),
        )
    assert await Transfers(db).for_uniqueid(UNIQUEID) == []
