"""IVR statistics from hand-built call records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hotline.calls.ivr_stats import IvrExit, call_path, ivr_stats
from hotline.dialplan.names import OperatorReason
from hotline.store.calllog import CallEventRecord, CallRecord
from hotline.store.enums import CallDirection, CallOutcome

T0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)


def ev(
    second: float, kind: str, value: str, detail: dict[str, Any] | None = None
) -> CallEventRecord:
    return CallEventRecord(
        at=T0 + timedelta(seconds=second), kind=kind, value=value, detail=detail
    )


def call(
    uniqueid: str,
    events: list[CallEventRecord],
    outcome: CallOutcome | None,
    *,
    ended: float | None = None,
    reason: str | None = None,
    simulated: bool = False,
) -> CallRecord:
    return CallRecord(
        id=f"id-{uniqueid}",
        direction=CallDirection.INBOUND,
        uniqueid=uniqueid,
        linkedid=None,
        channel=None,
        caller="+79131234567",
        callee=None,
        simulated=simulated,
        started_at=T0,
        answered_at=T0,
        ended_at=T0 + timedelta(seconds=ended) if ended is not None else None,
        outcome=outcome,
        hangup_cause=None,
        operator_reason=reason,
        events=tuple(events),
    )


SELF_SERVED = call(
    "self",
    [
        ev(0, "node", "main"),
        ev(1, "prompt", "main_menu", {"file": "x", "duration": 5.0, "played": 2.0}),
        ev(3, "digits", "2", {"barge_in": True}),
        ev(3, "node", "balance"),
        ev(4, "digits", "", {"timed_out": True}),
        ev(9, "digits", "1", {"timed_out": False}),
        ev(10, "node", "main"),
        ev(12, "digits", "9", {"timed_out": False}),
    ],
    CallOutcome.COMPLETED,
    ended=20,
)
TO_OPERATOR = call(
    "op",
    [
        ev(0, "node", "main"),
        ev(4, "digits", "0", {"timed_out": False}),
        ev(5, "node", "operator"),
        ev(5, "answer_target", "40"),
    ],
    CallOutcome.OPERATOR,
    ended=65,
    reason=OperatorReason.MENU,
)
HUNG_UP = call(
    "gone",
    [ev(0, "node", "main"), ev(2, "digits", "2"), ev(2, "node", "balance"), ev(6, "status", "x")],
    CallOutcome.ABANDONED,
    ended=8,
)
FALLBACK = call("fb", [ev(0, "node", "main")], CallOutcome.FALLBACK, ended=1)
NO_IVR = call("dialplan-only", [], CallOutcome.FALLBACK, ended=30, reason="fallback")
SIMULATED = call("sim", [ev(0, "node", "main")], CallOutcome.ABANDONED, ended=3, simulated=True)


def test_time_and_keys_per_node() -> None:
    path = call_path(SELF_SERVED)
    assert path is not None
    assert path.nodes == ("main", "balance", "main")
    assert [v.seconds for v in path.visits] == [3.0, 7.0, 10.0]
    # Keys pressed in a node; a silent round (empty digits) is no key.
    assert [v.keys for v in path.visits] == [("2",), ("1",), ("9",)]
    assert path.exit is IvrExit.SELF_SERVED
    assert path.hung_up_at is None


def test_last_node_runs_to_the_last_event_when_the_call_has_not_ended() -> None:
    open_call = call("open", [ev(0, "node", "main"), ev(7, "prompt", "p")], None)
    path = call_path(open_call)
    assert path is not None
    assert path.visits[0].seconds == 7.0
    assert path.exit is IvrExit.OTHER


def test_exits() -> None:
    paths = [call_path(c) for c in (SELF_SERVED, TO_OPERATOR, HUNG_UP, FALLBACK)]
    assert [p.exit if p else None for p in paths] == [
        IvrExit.SELF_SERVED,
        IvrExit.OPERATOR,
        IvrExit.HUNG_UP,
        IvrExit.OPERATOR,
    ]
    hung_up = paths[2]
    assert hung_up is not None and hung_up.hung_up_at == "balance"
    operator = paths[1]
    assert operator is not None and operator.operator_reason == "menu"
    failed = call_path(call("failed", [ev(0, "node", "main")], CallOutcome.FAILED, ended=1))
    assert failed is not None and failed.exit is IvrExit.OTHER
    assert call_path(NO_IVR) is None


def test_aggregate() -> None:
    stats = ivr_stats([SELF_SERVED, TO_OPERATOR, HUNG_UP, FALLBACK, NO_IVR, SIMULATED])
    assert stats.calls == 4  # no simulated call, no call that never reached the IVR
    assert stats.exits == {"operator": 2, "hung up": 1, "self-served": 1}
    assert stats.containment == pytest.approx(0.25)
    assert stats.node_entries == {"main": 5, "balance": 2, "operator": 1}
    assert stats.keys == {"balance": {"1": 1}, "main": {"2": 2, "0": 1, "9": 1}}
    assert stats.abandon_points == {"balance": 1}
    # main: 3 + 10 (self) + 5 (op) + 2 (hung up) + 1 (fallback) over 5 visits
    assert stats.average_seconds["main"] == pytest.approx(21 / 5)
    assert stats.average_seconds["balance"] == pytest.approx((7 + 6) / 2)
    assert stats.average_seconds["operator"] == pytest.approx(60)
    assert stats.operator_reasons == {"menu": 1, "unknown": 1}


def test_simulated_calls_only_when_asked() -> None:
    assert ivr_stats([SIMULATED]).calls == 0
    stats = ivr_stats([SIMULATED, SELF_SERVED], include_simulated=True)
    assert stats.calls == 2
    assert stats.abandon_points == {"main": 1}
    assert stats.containment == pytest.approx(0.5)


def test_empty() -> None:
    stats = ivr_stats([])
    assert stats.calls == 0
    assert stats.containment is None
    assert stats.to_dict()["containment"] is None


def test_to_dict_is_json_ready() -> None:
    import json

    data = ivr_stats([SELF_SERVED, HUNG_UP]).to_dict(with_paths=True)
    assert json.loads(json.dumps(data)) == data
    assert data["paths"][0]["visits"][1] == {
        "node": "balance",
        "entered_at": "2026-03-01T09:00:03+00:00",
        "seconds": 7.0,
        "keys": ["1"],
    }
