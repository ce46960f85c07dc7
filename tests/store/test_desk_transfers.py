"""Issue 17 item 4 (R-030, R-041): an operator's transfer of the caller, over a stub AMI and a
real store (SQLite and PostgreSQL): which AMI actions go out for each kind and target, what
is stored and audited, the answer filled in from scripted AMI events, and the transfer KPIs
in the queue report."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hotline.contact_center.queue_report import build_report
from hotline.contact_center.transfer import TransferError
from hotline.contact_center.transfers import TransferTracker, answered_by, transfer_call
from hotline.dialplan.names import (
    CONTEXT_OPERATOR,
    CONTEXT_TRANSFER,
    TRANSFER_TO_PHONE,
    TRANSFER_TO_QUEUE,
    ChannelVar,
)
from hotline.protocol.ami import AmiEvent
from hotline.settings import Settings, load_settings
from hotline.store.audit import Actor, AuditLog
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, QueueEventKind
from hotline.store.models.transfers import TransferKind, TransferTarget
from hotline.store.operators import Operators
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from hotline.store.transfers import Transfers
from hotline.transport.ami import Subscription

CHANNEL = "PJSIP/carrier-00000001"
PEER = "Local/1-30-anna@hotline-sim-operator-00000002;1"
UNIQUEID = "1700000000.1"
BY = Actor("anna", "web")


class StubAmi:
    """Answers Getvar BRIDGEPEER; records every other action."""

    def __init__(self) -> None:
        self.connected = True
        self.actions: list[dict[str, Any]] = []

    async def action(self, headers: dict[str, Any]) -> dict[str, str]:
        self.actions.append(dict(headers))
        return {"Response": "Success"}

    async def getvar(self, channel: str, variable: str) -> str | None:
        assert (channel, variable) == (CHANNEL, "BRIDGEPEER")
        return PEER


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """The store's ``db`` fixture, migrated."""
    database = Database(db_url)
    await database.upgrade()
    yield database
    await database.dispose()


async def call_in_progress(db: Database, at: datetime) -> str:
    call_id = await CallLog(db).open(
        uniqueid=UNIQUEID, direction=CallDirection.INBOUND, channel=CHANNEL, caller="79001234567"
    )
    events = QueueEvents(db)
    await events.add(QueueEventRecord(at, QueueEventKind.JOIN, UNIQUEID, "hotline-operators"))
    await events.add(
        QueueEventRecord(
            at + timedelta(seconds=5),
            QueueEventKind.CONNECT,
            UNIQUEID,
            "hotline-operators",
            member="anna",
            wait=5,
        )
    )
    await Operators(db).add("anna", "Local/1-30-anna@hotline-sim-operator/n", simulated=True)
    await Operators(db).add("nina", "PJSIP/nina", simulated=False, department="dispatcher")
    return call_id


async def test_blind_to_a_queue_redirects_the_callers_channel(
    db: Database, settings: Settings
) -> None:
    call_id = await call_in_progress(db, datetime.now(UTC))
    ami = StubAmi()
    record = await transfer_call(
        ami,  # type: ignore[arg-type]
        db,
        settings,
        "anna",
        TransferKind.BLIND,
        TransferTarget.QUEUE,
        "dispatcher",
        "  аварийная   ситуация ",
        BY,
    )
    assert ami.actions == [
        {
            "Action": "Setvar",
            "Channel": CHANNEL,
            "Variable": ChannelVar.DEPARTMENT.value,
            "Value": "dispatcher",
        },
        {
            "Action": "Redirect",
            "Channel": CHANNEL,
            "Context": CONTEXT_TRANSFER,
            "Exten": TRANSFER_TO_QUEUE,
            "Priority": 1,
        },
    ]
    assert (record.call_id, record.uniqueid, record.reason) == (
        call_id,
        UNIQUEID,
        "аварийная ситуация",
    )
    [entry] = await AuditLog(db).entries(action="call.transfer")
    assert (entry.actor, entry.target) == ("anna", call_id)
    assert entry.detail == {
        "kind": "blind",
        "target_kind": "queue",
        "target": "dispatcher",
        "reason": "аварийная ситуация",
    }


async def test_attended_to_a_specialist_uses_atxfer_on_the_operators_channel(
    db: Database, settings: Settings
) -> None:
    await call_in_progress(db, datetime.now(UTC))
    ami = StubAmi()
    await transfer_call(
        ami,  # type: ignore[arg-type]
        db,
        settings,
        "anna",
        TransferKind.ATTENDED,
        TransferTarget.OPERATOR,
        "nina",
        "просьба абонента",
        BY,
    )
    assert ami.actions == [
        {
            "Action": "Setvar",
            "Channel": PEER,
            "Variable": f"__{ChannelVar.TRANSFER_DIAL.value}",
            "Value": "PJSIP/nina",
        },
        {
            # Its voice quality is the operator leg's (desk2, R-135).
            "Action": "Setvar",
            "Channel": PEER,
            "Variable": f"__{ChannelVar.TRANSFER_LEG.value}",
            "Value": "operator",
        },
        {
            # The consultation leg names the caller's call (issue 17, desk2 item 1).
            "Action": "Setvar",
            "Channel": PEER,
            "Variable": f"__{ChannelVar.TRANSFER_OF.value}",
            "Value": UNIQUEID,
        },
        {
            "Action": "Atxfer",
            "Channel": PEER,
            "Exten": TRANSFER_TO_PHONE,
            "Context": CONTEXT_TRANSFER,
        },
    ]


async def test_outside_number_goes_over_the_trunk_and_is_masked_in_the_audit(
    db: Database, settings: Settings
) -> None:
    await call_in_progress(db, datetime.now(UTC))
    ami = StubAmi()
    record = await transfer_call(
        ami,  # type: ignore[arg-type]
        db,
        settings,
        "anna",
        TransferKind.BLIND,
        TransferTarget.NUMBER,
        "8 (913) 123-45-67",
        "просьба абонента",
        BY,
    )
    assert record.target == "+79131234567"
    assert ami.actions[0]["Value"] == settings.dialer.trunk.format(number="79131234567")
    # The trunk's leg (desk2, R-135), then the redirect.
    assert ami.actions[1]["Value"] == "trunk"
    assert ami.actions[2]["Exten"] == TRANSFER_TO_PHONE
    [entry] = await AuditLog(db).entries(action="call.transfer")
    assert entry.detail is not None and "1234567" not in str(entry.detail["target"])


REFUSED = [
    (TransferTarget.QUEUE, "accounting", "просьба абонента", "no department"),
    (TransferTarget.OPERATOR, "anna", "просьба абонента", "themselves"),
    (TransferTarget.OPERATOR, "nobody", "просьба абонента", "no operator"),
    (TransferTarget.NUMBER, "12", "просьба абонента", "not a phone number"),
    (TransferTarget.QUEUE, "dispatcher", "   ", "reason"),
]


async def test_refused_targets_send_nothing(db: Database, settings: Settings) -> None:
    await call_in_progress(db, datetime.now(UTC))
    ami = StubAmi()
    for target_kind, target, reason, why in REFUSED:
        with pytest.raises(TransferError, match=why):
            await transfer_call(
                ami,  # type: ignore[arg-type]
                db,
                settings,
                "anna",
                TransferKind.BLIND,
                target_kind,
                target,
                reason,
                BY,
            )
    assert ami.actions == []
    assert await Transfers(db).for_uniqueid(UNIQUEID) == []


async def test_no_call_in_progress_is_refused(db: Database, settings: Settings) -> None:
    with pytest.raises(TransferError, match="no call in progress"):
        await transfer_call(
            StubAmi(),  # type: ignore[arg-type]
            db,
            settings,
            "anna",
            TransferKind.BLIND,
            TransferTarget.QUEUE,
            "dispatcher",
            "просьба абонента",
            BY,
        )


def event(name: str, **headers: str) -> AmiEvent:
    return AmiEvent.from_headers([("Event", name), *headers.items()])


def test_answers_of_a_callers_channel() -> None:
    assert answered_by(event("AgentConnect", Uniqueid="u1", MemberName="nina")) == ("u1", "nina")
    assert answered_by(
        event("DialEnd", Uniqueid="u1", DialStatus="ANSWER", Context=CONTEXT_TRANSFER)
    ) == ("u1", None)
    # app_queue's own ringing of members, a refused dial, other events: no answer.
    assert (
        answered_by(event("DialEnd", Uniqueid="u1", DialStatus="ANSWER", Context=CONTEXT_OPERATOR))
        is None
    )
    assert (
        answered_by(
            event("DialEnd", Uniqueid="u1", DialStatus="NOANSWER", Context=CONTEXT_TRANSFER)
        )
        is None
    )
    assert answered_by(event("Hangup", Uniqueid="u1")) is None


async def test_the_tracker_times_the_answer_and_the_report_shows_it(
    db: Database, settings: Settings
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=10)
    await call_in_progress(db, start)
    transfers = Transfers(db)
    slow = await transfers.add(
        start + timedelta(seconds=60),
        None,
        UNIQUEID,
        "anna",
        TransferKind.BLIND,
        TransferTarget.QUEUE,
        "dispatcher",
        "r",
    )
    # An ordinary answer with no transfer open is not one.
    assert await transfers.answered("other", start + timedelta(seconds=70), "nina") is None
    tracker = TransferTracker(Subscription(None, 10), transfers, QueueEvents(db))
    await tracker.handle(event("AgentConnect", Uniqueid=UNIQUEID, MemberName="nina"))
    [stored] = await transfers.for_uniqueid(UNIQUEID)
    assert stored.id == slow.id and stored.answered_by == "nina"
    assert stored.answered_at is not None
    # Scripted: the first transfer answered 30 s after it was made, a second after 50 s; a
    # third nobody answered.
    await transfers.answered(UNIQUEID, start, None)  # none open before it: no change
    second = await transfers.add(
        start + timedelta(seconds=120),
        None,
        UNIQUEID,
        "nina",
        TransferKind.BLIND,
        TransferTarget.OPERATOR,
        "anna",
        "r",
    )
    await transfers.answered(UNIQUEID, start + timedelta(seconds=170), None)
    # phones that rang out before anna answered, counted per operator.
    for member in ("nina", "olga", "nina"):
        await QueueEvents(db).add(
            QueueEventRecord(
                start + timedelta(seconds=2),
                QueueEventKind.RING_NO_ANSWER,
                UNIQUEID,
                "hotline-operators",
                member=member,
            )
        )
    await transfers.add(
        start + timedelta(seconds=200),
        None,
        UNIQUEID,
        "anna",
        TransferKind.BLIND,
        TransferTarget.NUMBER,
        "+79131234567",
        "r",
    )
    [_, answered_second, unanswered] = await transfers.for_uniqueid(UNIQUEID)
    assert answered_second.id == second.id
    assert answered_second.answered_by == "anna"  # the target, for a dialled phone
    assert answered_second.answer_seconds == 50.0 and unanswered.answer_seconds is None

    # The first one's answer was stamped "now": set it to 30 s for exact numbers.
    await db_set_answer(db, slow.id, start + timedelta(seconds=90))
    report = await build_report(
        db, settings, start - timedelta(minutes=1), datetime.now(UTC) + timedelta(minutes=1)
    )
    within = report.kpi("transfer_answer_within_target")
    assert (within.value, within.target, within.met) == (round(1 / 3, 4), 1.0, False)
    time = report.kpi("transfer_answer_time")
    assert (time.value, time.target, time.met) == (40.0, 40.0, True)
    assert report.to_dict()["ring_no_answer_by_operator"] == {"nina": 2, "olga": 1}


async def db_set_answer(db: Database, transfer_id: int, at: datetime) -> None:
    from hotline.store.models.transfers import CallTransfer

    async with db.session() as session:
        row = await session.get(CallTransfer, transfer_id)
        assert row is not None
        row.answered_at = at


async def test_a_named_specialists_answer_reaches_their_screen_pop(db: Database) -> None:
    await call_in_progress(db, datetime.now(UTC) - timedelta(seconds=30))
    transfers = Transfers(db)
    await transfers.add(
        datetime.now(UTC) - timedelta(seconds=3),
        None,
        UNIQUEID,
        "anna",
        TransferKind.BLIND,
        TransferTarget.OPERATOR,
        "nina",
        "r",
    )
    queue_events = QueueEvents(db)
    assert await queue_events.latest_connect("nina") is None
    tracker = TransferTracker(Subscription(None, 10), transfers, queue_events)
    await tracker.handle(
        event("DialEnd", Uniqueid=UNIQUEID, DialStatus="ANSWER", Context=CONTEXT_TRANSFER)
    )
    connect = await queue_events.latest_connect("nina")
    assert connect is not None and connect.uniqueid == UNIQUEID
    [stored] = await transfers.for_uniqueid(UNIQUEID)
    assert stored.answered_by == "nina"
