"""IVR statistics from the call log: each call's path through the menu and the totals.

Pure functions over :class:`~hotline.store.calllog.CallRecord` (no I/O).  A call's path is
its "node" events; the time spent in a node runs from its node event to the next node event
(or the end of the call), and the keys pressed in a node are the non-empty "digits" events
between them.  Only calls that entered at least one node count as IVR calls.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from hotline.store.calllog import CallRecord
from hotline.store.enums import CallOutcome, EventKind


class IvrExit(StrEnum):
    """How a call left the IVR."""

    SELF_SERVED = "self-served"  # outcome completed
    OPERATOR = "operator"  # outcome operator or fallback
    HUNG_UP = "hung up"  # outcome abandoned
    OTHER = "other"  # failed, or no outcome recorded (yet)


_EXITS = {
    CallOutcome.COMPLETED: IvrExit.SELF_SERVED,
    CallOutcome.OPERATOR: IvrExit.OPERATOR,
    CallOutcome.FALLBACK: IvrExit.OPERATOR,
    CallOutcome.ABANDONED: IvrExit.HUNG_UP,
}


# Ended the call without asking for anyone: hung up, or heard the goodbye.
_LEFT = (IvrExit.HUNG_UP, IvrExit.SELF_SERVED)


@dataclass(frozen=True)
class NodeVisit:
    node: str
    entered_at: datetime
    seconds: float
    keys: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "entered_at": self.entered_at.isoformat(),
            "seconds": round(self.seconds, 3),
            "keys": list(self.keys),
        }


@dataclass(frozen=True)
class CallPath:
    call_id: str
    uniqueid: str
    visits: tuple[NodeVisit, ...]
    exit: IvrExit
    hung_up_at: str | None  # the node the caller hung up in (exit "hung up")
    operator_reason: str | None
    # The caller heard a current outage at their address.
    outage_heard: bool = False

    @property
    def nodes(self) -> tuple[str, ...]:
        return tuple(v.node for v in self.visits)

    def to_dict(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "uniqueid": self.uniqueid,
            "visits": [v.to_dict() for v in self.visits],
            "exit": self.exit.value,
            "hung_up_at": self.hung_up_at,
            "operator_reason": self.operator_reason,
            "outage_heard": self.outage_heard,
        }


@dataclass(frozen=True)
class IvrStats:
    calls: int  # IVR calls (calls that entered at least one node)
    exits: dict[str, int]  # IvrExit value -> calls
    node_entries: dict[str, int]  # node -> times entered
    keys: dict[str, dict[str, int]]  # node -> key pressed there -> count
    abandon_points: dict[str, int]  # node -> hang-ups there
    average_seconds: dict[str, float]  # node -> average seconds per visit
    operator_reasons: dict[str, int]  # reason -> calls sent to an operator
    paths: tuple[CallPath, ...] = field(default=(), repr=False)
    # callers who heard a current outage at their address, and those of them
    # who then ended the call without asking for anyone (the peak the announcement cuts).
    outage_heard: int = 0
    outage_heard_left: int = 0

    @property
    def containment(self) -> float | None:
        """Share of IVR calls served without an operator; None without calls."""
        if not self.calls:
            return None
        return self.exits.get(IvrExit.SELF_SERVED.value, 0) / self.calls

    def to_dict(self, *, with_paths: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "calls": self.calls,
            "containment": self.containment,
            "exits": self.exits,
            "node_entries": self.node_entries,
            "keys": self.keys,
            "abandon_points": self.abandon_points,
            "average_seconds": {k: round(v, 3) for k, v in self.average_seconds.items()},
            "operator_reasons": self.operator_reasons,
            "outage_heard": self.outage_heard,
            "outage_heard_left": self.outage_heard_left,
        }
        if with_paths:
            data["paths"] = [p.to_dict() for p in self.paths]
        return data


def call_path(call: CallRecord) -> CallPath | None:
    """The call's walk through the IVR; None when it never entered a node."""
    visits: list[NodeVisit] = []
    current: tuple[str, datetime] | None = None
    keys: list[str] = []
    outage_heard = False
    for event in call.events:
        if event.kind == EventKind.OUTAGE_HEARD:
            outage_heard = True
        if event.kind == EventKind.NODE:
            if current is not None:
                visits.append(_visit(current, event.at, keys))
            current, keys = (event.value, event.at), []
        elif event.kind == EventKind.DIGITS and current is not None and event.value:
            keys.append(event.value)
    if current is None:
        return None
    end = call.ended_at if call.ended_at is not None else call.events[-1].at
    visits.append(_visit(current, end, keys))
    exit_ = _EXITS.get(call.outcome, IvrExit.OTHER) if call.outcome else IvrExit.OTHER
    return CallPath(
        call_id=call.id,
        uniqueid=call.uniqueid,
        visits=tuple(visits),
        exit=exit_,
        hung_up_at=visits[-1].node if exit_ is IvrExit.HUNG_UP else None,
        operator_reason=call.operator_reason if exit_ is IvrExit.OPERATOR else None,
        outage_heard=outage_heard,
    )


def ivr_stats(calls: Iterable[CallRecord], *, include_simulated: bool = False) -> IvrStats:
    """Totals over the IVR calls among ``calls`` (simulated ones only if asked)."""
    paths = [
        path
        for call in calls
        if include_simulated or not call.simulated
        if (path := call_path(call)) is not None
    ]
    exits: Counter[str] = Counter()
    entries: Counter[str] = Counter()
    keys: dict[str, Counter[str]] = {}
    abandons: Counter[str] = Counter()
    seconds: dict[str, float] = {}
    reasons: Counter[str] = Counter()
    for path in paths:
        exits[path.exit.value] += 1
        if path.hung_up_at is not None:
            abandons[path.hung_up_at] += 1
        if path.exit is IvrExit.OPERATOR:
            reasons[path.operator_reason or "unknown"] += 1
        for visit in path.visits:
            entries[visit.node] += 1
            seconds[visit.node] = seconds.get(visit.node, 0.0) + visit.seconds
            for key in visit.keys:
                keys.setdefault(visit.node, Counter())[key] += 1
    return IvrStats(
        calls=len(paths),
        exits=_ranked(exits),
        node_entries=_ranked(entries),
        keys={node: _ranked(counts) for node, counts in sorted(keys.items())},
        abandon_points=_ranked(abandons),
        average_seconds={node: seconds[node] / entries[node] for node in _ranked(entries)},
        operator_reasons=_ranked(reasons),
        paths=tuple(paths),
        outage_heard=sum(p.outage_heard for p in paths),
        outage_heard_left=sum(p.outage_heard and p.exit in _LEFT for p in paths),
    )


def _visit(current: tuple[str, datetime], until: datetime, keys: list[str]) -> NodeVisit:
    node, entered = current
    spent = max((until - entered).total_seconds(), 0.0)
    return NodeVisit(node=node, entered_at=entered, seconds=spent, keys=tuple(keys))


def _ranked(counts: Counter[str]) -> dict[str, int]:
    # Most frequent first, ties by name, so output is stable.
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
