"""KPIs on a scripted set of queued calls whose answers are known by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hotline.contact_center.kpi import (
    CallFacts,
    CallType,
    QueuedCall,
    QueueReport,
    queue_report,
    queued_calls,
)
from hotline.contact_center.queue_tracker import queue_event
from hotline.protocol.ami import AmiEvent
from hotline.settings import QueueSettings
from hotline.store.enums import QueueEventKind as K
from hotline.store.queue_events import QueueEventRecord

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
QUEUE = "hotline-operators"


def ev(uid: str, kind: K, at: float, **kw: object) -> QueueEventRecord:
    return QueueEventRecord(T0 + timedelta(seconds=at), kind, uid, QUEUE, **kw)  # type: ignore[arg-type]


# Eight calls joined the queue (and 12 calls reached the hotline in all, 3 finished in the
# IVR).  By hand:
#   a: answered after 10 s (target 40), talked 100 s, readings         -> within target
#   b: answered after 45 s (target 40), talked 200 s, general          -> late
#   c: answered after 150 s (emergency target 180), talked 290 s, personal -> within
#   d: abandoned after 20 s                                            -> lost
#   e: timeout at 40 s, callback at 55 s, hung up                      -> not lost
#   f: timeout at 40 s, kept waiting, answered at 95 s, talked 60 s (readings) -> late
#   g: abandoned after 600 s (the longest wait)                        -> lost
#   h: answered after 40 s exactly (target 40), talked 160 s, general  -> within (<=)
SCRIPT = [
    ev("a", K.JOIN, 0),
    ev("a", K.CONNECT, 10, member="op1", wait=10),
    ev("a", K.LEAVE, 10),
    ev("a", K.COMPLETE, 110, member="op1", talk=100),
    ev("b", K.JOIN, 5),
    ev("b", K.CONNECT, 50, member="op2", wait=45),
    ev("b", K.COMPLETE, 250, member="op2", talk=200),
    ev("c", K.JOIN, 10),
    ev("c", K.CONNECT, 160, member="op1", wait=150),
    ev("c", K.COMPLETE, 450, member="op1", talk=290),
    ev("d", K.JOIN, 20),
    ev("d", K.ABANDON, 40, wait=20),
    ev("e", K.JOIN, 30),
    ev("e", K.TIMEOUT, 70, wait=40),
    ev("e", K.CALLBACK, 85),
    ev("f", K.JOIN, 40),
    ev("f", K.LEAVE, 80),
    ev("f", K.TIMEOUT, 80, wait=40),
    ev("f", K.JOIN, 100),
    ev("f", K.CONNECT, 135, member="op2", wait=35),
    ev("f", K.COMPLETE, 195, member="op2", talk=60),
    ev("g", K.JOIN, 60),
    ev("g", K.ABANDON, 660, wait=600),
    ev("h", K.JOIN, 70),
    ev("h", K.CONNECT, 110, member="op3", wait=40),
    ev("h", K.COMPLETE, 270, member="op3", talk=160),
]
FACTS = {
    "a": CallFacts(40, CallType.READINGS),
    "b": CallFacts(40, CallType.GENERAL),
    "c": CallFacts(180, CallType.PERSONAL),
    "f": CallFacts(None, CallType.READINGS),  # no target logged (fallback): the default
    "h": CallFacts(40, CallType.GENERAL),
}


def report() -> tuple[list[QueuedCall], QueueReport]:
    calls = queued_calls(SCRIPT, FACTS, default_target=40)
    return calls, queue_report(
        calls,
        QueueSettings(),
        calls_total=12,
        ivr_contained=3,
        callbacks_requested=2,
        callbacks_done=1,
    )


def test_counts() -> None:
    calls, r = report()
    assert [c.uniqueid for c in calls] == list("abcdefgh")
    assert (r.offered, r.answered, r.answered_within_target) == (8, 5, 3)
    assert (r.lost, r.callbacks_from_queue) == (2, 1)
    assert {c.uniqueid: c.wait for c in calls} == {
        "a": 10,
        "b": 45,
        "c": 150,
        "d": 20,
        "e": 55,
        "f": 95,
        "g": 600,
        "h": 40,
    }


def test_service_level_and_lost_ratios() -> None:
    _calls, r = report()
    assert r.kpi("service_level").value == 0.375  # a, c, h of 8
    assert r.kpi("service_level").met is False  # target 0.9
    assert r.kpi("lost_ratio_queue").value == 0.25  # d, g of 8
    assert r.kpi("lost_ratio_queue").met is False  # > 15 %
    assert r.kpi("lost_ratio_all_calls").value == pytest.approx(2 / 12, abs=1e-4)
    assert r.kpi("ivr_containment").value == 0.25  # 3 of 12


def test_waits_and_handling_times() -> None:
    _calls, r = report()
    # Answered: 10, 45, 150, 95, 40 -> 340 / 5.
    assert r.kpi("average_wait_answered").value == 68.0
    # All eight: 10+45+150+20+55+95+600+40 = 1015 / 8 = 126.875 -> 126.9
    assert r.kpi("average_wait_all").value == 126.9
    assert r.kpi("max_wait").value == 600.0 and r.kpi("max_wait").met is True
    assert r.kpi("handling_time_readings").value == 80.0  # a 100, f 60
    assert r.kpi("handling_time_readings").met is True  # <= 120
    assert r.kpi("handling_time_general").value == 180.0  # b 200, h 160
    assert r.kpi("handling_time_general").met is True  # <= 180, exactly
    assert r.kpi("handling_time_personal").value == 290.0
    assert (r.callbacks_requested, r.callbacks_done) == (2, 1)


def test_nothing_offered_has_no_ratios() -> None:
    r = queue_report(
        [],
        QueueSettings(),
        calls_total=0,
        ivr_contained=0,
        callbacks_requested=0,
        callbacks_done=0,
    )
    assert r.kpi("service_level").value is None and r.kpi("service_level").met is None
    assert r.kpi("max_wait").value is None


def test_ami_events_become_rows() -> None:
    at = T0
    connect = AmiEvent.from_headers(
        {
            "Event": "AgentConnect",
            "Queue": QUEUE,
            "Uniqueid": "1.1",
            "MemberName": "op1",
            "Interface": "Local/1-5-op1@hotline-sim-operator/n",
            "HoldTime": "12",
            "RingTime": "1",
        }.items()
    )
    row = queue_event(connect, at)
    assert row is not None
    assert (row.kind, row.uniqueid, row.member, row.wait) == (K.CONNECT, "1.1", "op1", 12)
    complete = AmiEvent.from_headers(
        {
            "Event": "AgentComplete",
            "Queue": QUEUE,
            "Uniqueid": "1.1",
            "MemberName": "op1",
            "HoldTime": "12",
            "TalkTime": "95",
            "Reason": "agent",
        }.items()
    )
    row = queue_event(complete, at)
    assert row is not None and row.talk == 95 and row.detail == {"reason": "agent"}
    assert queue_event(AmiEvent.from_headers([("Event", "Newexten")]), at) is None


def test_live_queue_from_queue_status() -> None:
    from hotline.contact_center.operators import live_queue
    from hotline.store.operators import OperatorRecord

    def event(**headers: str) -> AmiEvent:
        return AmiEvent.from_headers(headers.items())

    interface = "Local/2-5-op1@hotline-sim-operator/n"
    events = [
        event(
            Event="QueueParams",
            Queue=QUEUE,
            Completed="7",
            Abandoned="2",
            ServiceLevel="40",
            ServicelevelPerf="85.7",
        ),
        event(
            Event="QueueMember",
            Queue=QUEUE,
            Name="op1",
            Location=interface,
            StateInterface=interface,
            Status="2",
            Paused="0",
            InCall="1",
            CallsTaken="7",
        ),
        event(
            Event="QueueMember",
            Queue=QUEUE,
            Name="op2",
            Location="PJSIP/op2",
            Status="1",
            Paused="1",
            PausedReason="lunch",
            CallsTaken="0",
        ),
        event(
            Event="QueueEntry",
            Queue=QUEUE,
            Position="2",
            CallerIDNum="79001112233",
            Wait="31",
            Uniqueid="2.2",
        ),
        event(
            Event="QueueEntry",
            Queue=QUEUE,
            Position="1",
            CallerIDNum="79004445566",
            Wait="75",
            Uniqueid="1.1",
        ),
        event(Event="QueueEntry", Queue="other", Position="1", Wait="999", Uniqueid="9.9"),
    ]
    known = [OperatorRecord("ivanova", interface, None, True, True, False)]
    data = live_queue(events, QUEUE, known).to_dict()
    assert data["callers_waiting"] == 2 and data["longest_wait"] == 75
    assert [c["uniqueid"] for c in data["callers"]] == ["1.1", "2.2"]
    assert [(m["name"], m["state"], m["in_call"]) for m in data["operators"]] == [
        ("ivanova", "in call", True),
        ("op2", "paused", False),
    ]
    assert data["operators"][1]["pause_reason"] == "lunch"
    assert (data["completed"], data["abandoned"], data["service_level_perf"]) == (7, 2, 85.7)
