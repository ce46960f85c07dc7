"""Issue 20, operator-bound calls across nodes: each worker reconciles only the open call rows
of the node whose Asterisk it lists.  The prototype's test bed showed each worker closing the
other node's calls as "ended unseen" (its own Asterisk did not have them)."""

from __future__ import annotations

from hotline.calls.tracker import ENDED_UNSEEN, CallTracker
from hotline.dialplan.names import CONTEXT_INBOUND
from hotline.protocol.ami import AmiEvent
from hotline.store.calllog import CallLog
from hotline.store.enums import EventKind
from hotline.transport.ami import Subscription


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
