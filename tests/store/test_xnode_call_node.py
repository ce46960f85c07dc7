"""Issue 20, operator-bound calls across nodes: each worker reconciles only the open call rows
of the node whose Asterisk it lists.  The prototype's test bed showed each worker closing the
other node's calls as "ended unseen" (its own Asterisk did not have them)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable

import pytest

from dialer.node_trackers import node_tracking
from hotline.calls.tracker import ENDED_UNSEEN, NODE_LEG, CallTracker
from hotline.contact_center.operators import screen
from hotline.contact_center.queue_tracker import QueueTracker, node_leg
from hotline.dialplan.names import CONTEXT_INBOUND
from hotline.dialplan.node_legs import (
    CONTEXT_NODE_LEG_IN,
    CONTEXT_NODE_LEGS,
    NODE_HEADER,
    NODE_LEG_EVENT,
    ORIGIN_HEADER,
)
from hotline.protocol.ami import AmiEvent
from hotline.settings import load_settings
from hotline.store.calllog import CallLog
from hotline.store.enums import CallDirection, CallOutcome, EventKind, QueueEventKind
from hotline.store.queue_events import QueueEvents
from hotline.store.recordings import Recordings
from hotline.transport.ami import AmiClient, Subscription


def event(name: str, **headers: str) -> AmiEvent:
    return AmiEvent.from_headers([("Event", name), *headers.items()])


def newchannel(uniqueid: str, number: str) -> AmiEvent:
    return event(
        "Newchannel",
        Uniqueid=uniqueid,
        Linkedid=uniqueid,
        Channel=f"PJSIP/hotline-carrier-{uniqueid}",
        Context=CONTEXT_INBOUND,
        Exten="100",
        CallerIDNum=number,
    )


def show(uniqueid: str) -> AmiEvent:
    return event(
        "CoreShowChannel",
        Uniqueid=uniqueid,
        Channel=f"PJSIP/hotline-carrier-{uniqueid}",
        Context=CONTEXT_INBOUND,
        ChannelState="6",
    )


async def test_a_worker_closes_only_its_own_nodes_calls(call_log: CallLog) -> None:
    n1_live = [show("n1.1")]
    n2_live = [show("n2.1")]

    async def on_n1() -> list[AmiEvent]:
        return n1_live

    async def on_n2() -> list[AmiEvent]:
        return n2_live

    w1 = CallTracker(Subscription(None, 100), call_log, on_n1, node="n1")
    w2 = CallTracker(Subscription(None, 100), call_log, on_n2, node="n2")
    await w1.handle(newchannel("n1.1", "79135550001"))
    await w2.handle(newchannel("n2.1", "79135550002"))
    first = await call_log.get(uniqueid="n1.1")
    second = await call_log.get(uniqueid="n2.1")
    assert first is not None and second is not None

    # A fresh w1 (restarted) lists n1's channels: n2's call is not its to judge.
    restarted = CallTracker(Subscription(None, 100), call_log, on_n1, node="n1")
    await restarted.handle(event("FullyBooted", Status="Fully Booted"))
    await w2.handle(event("FullyBooted", Status="Fully Booted"))
    for uniqueid in ("n1.1", "n2.1"):
        row = await call_log.get(uniqueid=uniqueid)
        assert row is not None and row.ended_at is None, uniqueid
        assert not [e for e in row.events if e.kind == EventKind.STATUS], uniqueid

    # n2's call ends while w2's AMI is away: w2 (not w1) closes it when it lists again.
    n2_live.clear()
    await restarted.handle(event("FullyBooted", Status="Fully Booted"))
    row = await call_log.get(uniqueid="n2.1")
    assert row is not None and row.ended_at is None
    await CallTracker(Subscription(None, 100), call_log, on_n2, node="n2").handle(
        event("FullyBooted", Status="Fully Booted")
    )
    row = await call_log.get(uniqueid="n2.1")
    assert row is not None and row.ended_at is not None
    assert [e.value for e in row.events if e.kind == EventKind.STATUS] == [ENDED_UNSEEN]
    still = await call_log.get(uniqueid="n1.1")
    assert still is not None and still.ended_at is None


async def test_a_queue_nodes_leg_is_filed_under_the_callers_call(call_log: CallLog) -> None:
    """The caller's row is n2's; the queue node's engine sees only the leg (its own
    uniqueid) and the leg's UserEvent naming the caller: the leg opens no second row, its
    queue events are the caller's call, and the operator's screen pop is the caller's."""
    db = call_log.db
    n2 = CallTracker(Subscription(None, 100), call_log, node="n2")
    await n2.handle(newchannel("n2.7", "79135550007"))
    await call_log.add_event("n2.7", EventKind.ACCOUNT, "1234567")
    await n2.handle(
        event(
            "Newexten",
            Uniqueid="n2.7",
            Context=CONTEXT_NODE_LEGS,
            Application="Dial",
            AppData="PJSIP/hotline-node-n1,5,b(hotline-node-legs^headers^1)",
        )
    )
    n1 = CallTracker(Subscription(None, 100), call_log, node="n1")
    queue_events = QueueEvents(db)
    queue = QueueTracker(Subscription(None, 100), queue_events, Recordings(db), call_log)
    leg = "n1.3"
    scripted = [
        event("Newchannel", Uniqueid=leg, Channel="PJSIP/hotline-node-legs-in-01",
              Context=CONTEXT_NODE_LEG_IN, Exten="s", CallerIDNum="79135550007"),
        event("UserEvent", Uniqueid=leg, UserEvent=NODE_LEG_EVENT,
              **{ORIGIN_HEADER: "n2.7", NODE_HEADER: "n2"}),
        event("QueueCallerJoin", Uniqueid=leg, Queue="hotline-operators", Position="1"),
        event("AgentConnect", Uniqueid=leg, Queue="hotline-operators", MemberName="anna",
              HoldTime="3"),
    ]  # fmt: skip
    for e in scripted:
        await n1.handle(e)
        await queue.handle(e)

    assert await call_log.get(uniqueid=leg) is None  # one call, one row
    kinds = [e.kind for e in await queue_events.for_uniqueid("n2.7")]
    assert QueueEventKind.JOIN in kinds and QueueEventKind.CONNECT in kinds
    assert await queue_events.for_uniqueid(leg) == []
    row = await call_log.get(uniqueid="n2.7")
    assert row is not None and row.outcome is CallOutcome.OPERATOR
    assert [e.value for e in row.events if e.kind == EventKind.STATUS] == [NODE_LEG]
    pop = await screen("anna", call_log, queue_events)
    assert pop is not None and (pop["call_id"], pop["account"]) == (row.id, "1234567")
    # A header that is no uniqueid links nothing.
    assert node_leg(event("UserEvent", Uniqueid="x.1", UserEvent=NODE_LEG_EVENT,
                          **{ORIGIN_HEADER: "a b"})) is None  # fmt: skip


async def test_a_taken_over_nodes_calls_are_tracked_as_that_nodes(
    call_log: CallLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that took n2 over tracks n2's inbound calls on n2's AMI, as n2's (its own
    node's tracker is the engine's); the tracking stops with the driver."""
    ami = AmiClient(load_settings().ami, "secret")  # never started: events are scripted
    events = Subscription(None, 100)
    monkeypatch.setattr(ami, "subscribe", lambda *_args, **_kw: events)
    tracking = asyncio.create_task(_await(node_tracking(call_log, 60.0)(ami, "n2")))
    events.offer(newchannel("n2-1796336284.5", "79135550005"))
    async with asyncio.timeout(10):
        while (row := await call_log.get(uniqueid="n2-1796336284.5")) is None:
            await asyncio.sleep(0.05)
    assert row.node == "n2"
    tracking.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await tracking


async def _await(work: Awaitable[None]) -> None:
    await work


async def test_a_row_the_ivr_opened_before_the_tracker_listened_gets_its_node(
    call_log: CallLog,
) -> None:
    """A call that came while the worker's AMI was still logging in: the IVR opened its row
    (no node), and the tracker finds it in the channel listing; the row takes the node, so
    reconciliation by node judges it (a clean-clone run under load left it without one)."""
    uniqueid = "n1-1796336284.7"
    await call_log.open(uniqueid=uniqueid, direction=CallDirection.INBOUND, caller="79135550007")

    async def on_n1() -> list[AmiEvent]:
        return [show(uniqueid)]

    await CallTracker(Subscription(None, 100), call_log, on_n1, node="n1").handle(
        event("FullyBooted")
    )
    row = await call_log.get(uniqueid=uniqueid)
    assert row is not None and row.node == "n1" and row.ended_at is None
