"""Contact-center KPIs from stored queue events: pure functions, so a scripted set of calls
gives exactly known numbers.

The seeds' own definitions lead the report (R-026, R-029):
- wait within 40 s: every call that joined the operator queue, its wait against 40 s
  (``queue.answer_target``): the share answered within it, against the target share (the
  seed: every call, 100 %; a supervisor may set another, shown as their choice), and the
  calls that waited longer, listed;
- lost calls (003, item 79 g): calls that ended before an operator answered over all calls
  the hotline received in the period.  Three lines make it up: callers who hung up while
  waiting, callers who left a callback request and hung up (lost to the seed, shown apart),
  and callers who hung up in the IVR before reaching the queue.  Calls the IVR finished
  itself (self-service, then goodbye) were served, not lost.
Other definitions follow, labelled:
- offered: calls that joined the operator queue (a caller re-queued after the overflow
  offer counts once);
- service level (own target): calls answered within their own answer target (40 s, or
  180 s when they arrived in emergency mode) over calls offered;
- lost (queue): calls offered that ended before an operator answered and left no callback
  request, over calls offered; lost (queue, all calls): the same over every call received;
- waits: from the first join to the operator's answer (answered calls) or to leaving;
- handling time: AgentComplete's talk time, averaged per call type against 120 s (meter
  readings), 180 s (general questions) and 300 s (questions needing personal data).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from hotline.settings import QueueSettings
from hotline.store.enums import QueueEventKind
from hotline.store.queue_events import QueueEventRecord

# The seed's target share for the 40-second rule: every call.
SEED_WAIT_SHARE: Final = 1.0
# The seed's limit of lost calls (003, item 79 g).
SEED_LOST_RATIO: Final = 0.15


class CallType(StrEnum):
    READINGS = "readings"  # meter readings taken by the operator
    GENERAL = "general"  # questions needing no personal data
    PERSONAL = "personal"  # questions about the caller's account


@dataclass(frozen=True)
class CallFacts:
    """What the call log knows about a queued call (for its target and type)."""

    answer_target: int | None = None
    call_type: CallType = CallType.GENERAL


@dataclass(frozen=True)
class QueuedCall:
    uniqueid: str
    joined_at: datetime
    target: int
    call_type: CallType
    answered: bool
    wait: float  # seconds to the answer, or to leaving the queue
    callback: bool
    talk: int | None
    member: str | None

    @property
    def lost(self) -> bool:
        return not self.answered and not self.callback

    @property
    def within_target(self) -> bool:
        return self.answered and self.wait <= self.target

    def within(self, seconds: float) -> bool:
        return self.answered and self.wait <= seconds


@dataclass(frozen=True)
class Kpi:
    name: str
    value: float | None
    target: float | None
    unit: str
    # "le": value must be at most the target; "ge": at least.
    sense: str = "le"
    # The seed's own target where one exists; a different ``target`` is a supervisor's choice.
    seed_target: float | None = None

    @property
    def chosen(self) -> bool:
        """The target in force is not the seed's (a supervisor set it)."""
        return self.seed_target is not None and self.target != self.seed_target

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value <= self.target if self.sense == "le" else self.value >= self.target

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "target": self.target,
            "unit": self.unit,
            "met": self.met,
            "seed_target": self.seed_target,
            "target_chosen": self.chosen,
        }


@dataclass(frozen=True)
class OperatorTime:
    """Seconds an operator spent paused for one reason (after-call work is one, R-037)."""

    operator: str
    reason: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"operator": self.operator, "reason": self.reason, "seconds": self.seconds}


@dataclass(frozen=True)
class QueueReport:
    calls_total: int
    offered: int
    answered: int
    answered_within_target: int
    lost: int
    callbacks_from_queue: int
    callbacks_requested: int
    callbacks_done: int
    ivr_contained: int
    # The seed's lost calls, line by line: hung up waiting, left a callback request
    # and hung up, hung up in the IVR before the queue.
    lost_waiting: int = 0
    lost_callback: int = 0
    lost_in_ivr: int = 0
    # The 40-second rule: its limit and the calls that waited longer.
    wait_limit: int = 40
    kpis: list[Kpi] = field(default_factory=list)
    calls: list[QueuedCall] = field(default_factory=list)  # the rows behind the numbers
    # how often each operator's phone rang out unanswered (AgentRingNoAnswer).
    ring_no_answer: dict[str, int] = field(default_factory=dict)
    # Time in after-call work and each pause reason, per operator.
    operator_time: list[OperatorTime] = field(default_factory=list)

    @property
    def lost_seed(self) -> int:
        """Calls that ended before an operator answered ([003] 79 g)."""
        return self.lost_waiting + self.lost_callback + self.lost_in_ivr

    @property
    def over_wait_limit(self) -> list[QueuedCall]:
        """Calls not answered within the 40 s they were promised, having waited longer."""
        return [c for c in self.calls if c.wait > self.wait_limit]

    def kpi(self, name: str) -> Kpi:
        return next(k for k in self.kpis if k.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls_total": self.calls_total,
            "offered": self.offered,
            "answered": self.answered,
            "answered_within_target": self.answered_within_target,
            "lost": self.lost,
            "callbacks_from_queue": self.callbacks_from_queue,
            "callbacks_requested": self.callbacks_requested,
            "callbacks_done": self.callbacks_done,
            "ivr_contained": self.ivr_contained,
            "lost_seed": self.lost_seed,
            "lost_waiting": self.lost_waiting,
            "lost_callback": self.lost_callback,
            "lost_in_ivr": self.lost_in_ivr,
            "wait_limit": self.wait_limit,
            "over_wait_limit": [
                {
                    "uniqueid": c.uniqueid,
                    "joined_at": c.joined_at.isoformat(),
                    "wait": round(c.wait, 1),
                    "answered": c.answered,
                }
                for c in self.over_wait_limit
            ],
            "kpis": [k.to_dict() for k in self.kpis],
            "ring_no_answer_by_operator": self.ring_no_answer,
            "operator_time": [t.to_dict() for t in self.operator_time],
        }


def queued_calls(
    events: Iterable[QueueEventRecord],
    facts: Mapping[str, CallFacts],
    default_target: int,
) -> list[QueuedCall]:
    """One entry per caller that joined the queue, in order of joining."""
    by_call: dict[str, list[QueueEventRecord]] = {}
    for event in sorted(events, key=lambda e: e.at):
        by_call.setdefault(event.uniqueid, []).append(event)
    calls = []
    for uniqueid, rows in by_call.items():
        joins = [r for r in rows if r.kind is QueueEventKind.JOIN]
        if not joins:
            continue
        joined = joins[0].at
        connect = next((r for r in rows if r.kind is QueueEventKind.CONNECT), None)
        complete = next((r for r in rows if r.kind is QueueEventKind.COMPLETE), None)
        callback = any(r.kind is QueueEventKind.CALLBACK for r in rows)
        if connect is not None:
            wait = (connect.at - joined).total_seconds()
        else:
            wait = (rows[-1].at - joined).total_seconds()
        known = facts.get(uniqueid, CallFacts())
        calls.append(
            QueuedCall(
                uniqueid=uniqueid,
                joined_at=joined,
                target=known.answer_target or default_target,
                call_type=known.call_type,
                answered=connect is not None,
                wait=wait,
                callback=callback and connect is None,
                talk=complete.talk if complete is not None else None,
                member=connect.member if connect is not None else None,
            )
        )
    return sorted(calls, key=lambda c: c.joined_at)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def queue_report(
    calls: list[QueuedCall],
    settings: QueueSettings,
    *,
    calls_total: int,
    ivr_contained: int,
    callbacks_requested: int,
    callbacks_done: int,
    ivr_hangups: int = 0,
    extra_kpis: Iterable[Kpi] = (),
    operator_time: Iterable[OperatorTime] = (),
) -> QueueReport:
    """Every KPI against its target, the seeds' definitions first.  ``calls_total``: all
    inbound calls in the period (the seed's denominator of lost calls); ``ivr_contained``:
    calls finished in self-service; ``ivr_hangups``: calls that ended in the IVR, never
    reaching the queue, without being finished by it (the caller hung up)."""
    offered = len(calls)
    answered = [c for c in calls if c.answered]
    within = [c for c in answered if c.within_target]
    lost = [c for c in calls if c.lost]
    from_queue = sum(1 for c in calls if c.callback)
    limit = settings.answer_target
    lost_seed = len(lost) + from_queue + ivr_hangups
    handling_targets = {
        CallType.READINGS: settings.handling_target_readings,
        CallType.GENERAL: settings.handling_target_general,
        CallType.PERSONAL: settings.handling_target_personal,
    }
    kpis = [
        # The seeds' definitions (R-026, R-029).
        Kpi(
            "wait_within_limit",
            _ratio(sum(1 for c in calls if c.within(limit)), offered),
            settings.service_level_target,
            "share",
            "ge",
            seed_target=SEED_WAIT_SHARE,
        ),
        Kpi(
            "lost_ratio_seed",
            _ratio(lost_seed, calls_total),
            settings.max_lost_ratio,
            "share",
            seed_target=SEED_LOST_RATIO,
        ),
        # Other definitions, labelled.
        Kpi(
            "service_level",
            _ratio(len(within), offered),
            settings.service_level_target,
            "share",
            "ge",
        ),
        Kpi("lost_ratio_queue", _ratio(len(lost), offered), settings.max_lost_ratio, "share"),
        Kpi(
            "lost_ratio_all_calls",
            _ratio(len(lost), calls_total),
            settings.max_lost_ratio,
            "share",
        ),
        Kpi(
            "average_wait_answered",
            _mean([c.wait for c in answered]),
            float(settings.answer_target),
            "s",
        ),
        Kpi("average_wait_all", _mean([c.wait for c in calls]), None, "s"),
        Kpi(
            "max_wait",
            round(max(c.wait for c in calls), 1) if calls else None,
            float(settings.max_wait),
            "s",
        ),
    ]
    for call_type, target in handling_targets.items():
        talks = [
            float(c.talk) for c in answered if c.call_type is call_type and c.talk is not None
        ]
        kpis.append(Kpi(f"handling_time_{call_type.value}", _mean(talks), float(target), "s"))
    kpis.append(Kpi("ivr_containment", _ratio(ivr_contained, calls_total), None, "share", "ge"))
    kpis.extend(extra_kpis)
    return QueueReport(
        calls_total=calls_total,
        offered=offered,
        answered=len(answered),
        answered_within_target=len(within),
        lost=len(lost),
        callbacks_from_queue=from_queue,
        callbacks_requested=callbacks_requested,
        callbacks_done=callbacks_done,
        ivr_contained=ivr_contained,
        lost_waiting=len(lost),
        lost_callback=from_queue,
        lost_in_ivr=ivr_hangups,
        wait_limit=limit,
        kpis=kpis,
        calls=calls,
        operator_time=list(operator_time),
    )
