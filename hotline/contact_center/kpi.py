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


_MICRO: Final = 1_000_000


def micros(seconds: float) -> int:
    """A wait in whole microseconds (a wait is a difference of stored times: exact)."""
    return round(seconds * _MICRO)


@dataclass(frozen=True)
class Tally:
    """The sums every queue KPI is computed from, so SQL can give them without a row per
    call (``hotline.store.queue_sums``).  Waits in whole microseconds: their means are
    then the same whether summed in Python or in SQL."""

    offered: int = 0
    answered: int = 0
    within_target: int = 0  # answered within the call's own target
    within_limit: int = 0  # answered within the report's limit (40 s)
    lost: int = 0
    from_queue: int = 0  # unanswered with a callback request
    wait_answered_us: int = 0
    wait_all_us: int = 0
    max_wait_us: int | None = None
    talk: Mapping[CallType, tuple[int, int]] = field(default_factory=dict)  # answered: sum, n

    def __add__(self, other: Tally) -> Tally:
        talk = dict(self.talk)
        for call_type, (total, n) in other.talk.items():
            was = talk.get(call_type, (0, 0))
            talk[call_type] = (was[0] + total, was[1] + n)
        waits = [w for w in (self.max_wait_us, other.max_wait_us) if w is not None]
        return Tally(
            self.offered + other.offered,
            self.answered + other.answered,
            self.within_target + other.within_target,
            self.within_limit + other.within_limit,
            self.lost + other.lost,
            self.from_queue + other.from_queue,
            self.wait_answered_us + other.wait_answered_us,
            self.wait_all_us + other.wait_all_us,
            max(waits) if waits else None,
            talk,
        )


def tally(calls: Iterable[QueuedCall], limit: int) -> Tally:
    """The sums of queued calls (``limit``: the report's wait limit)."""
    talk: dict[CallType, tuple[int, int]] = {}
    offered = answered = within_target = within_limit = lost = from_queue = 0
    wait_answered = wait_all = 0
    longest: int | None = None
    for c in calls:
        wait = micros(c.wait)
        offered += 1
        answered += c.answered
        within_target += c.within_target
        within_limit += c.within(limit)
        lost += c.lost
        from_queue += c.callback
        wait_answered += wait if c.answered else 0
        wait_all += wait
        longest = wait if longest is None else max(longest, wait)
        if c.answered and c.talk is not None:
            was = talk.get(c.call_type, (0, 0))
            talk[c.call_type] = (was[0] + c.talk, was[1] + 1)
    return Tally(
        offered,
        answered,
        within_target,
        within_limit,
        lost,
        from_queue,
        wait_answered,
        wait_all,
        longest,
        talk,
    )


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


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
    return report_of(
        tally(calls, settings.answer_target),
        settings,
        calls=calls,
        calls_total=calls_total,
        ivr_contained=ivr_contained,
        callbacks_requested=callbacks_requested,
        callbacks_done=callbacks_done,
        ivr_hangups=ivr_hangups,
        extra_kpis=extra_kpis,
        operator_time=operator_time,
    )


def _mean_wait(total_us: int, n: int) -> float | None:
    return round(total_us / n / _MICRO, 1) if n else None


def report_of(
    t: Tally,
    settings: QueueSettings,
    *,
    calls: list[QueuedCall],
    calls_total: int,
    ivr_contained: int,
    callbacks_requested: int,
    callbacks_done: int,
    ivr_hangups: int = 0,
    extra_kpis: Iterable[Kpi] = (),
    operator_time: Iterable[OperatorTime] = (),
) -> QueueReport:
    """``queue_report`` from the sums of its calls (``calls``: the list behind them when
    the report shows it, else empty)."""
    offered = t.offered
    limit = settings.answer_target
    lost_seed = t.lost + t.from_queue + ivr_hangups
    handling_targets = {
        CallType.READINGS: settings.handling_target_readings,
        CallType.GENERAL: settings.handling_target_general,
        CallType.PERSONAL: settings.handling_target_personal,
    }
    kpis = [
        # The seeds' definitions (R-026, R-029).
        Kpi(
            "wait_within_limit",
            _ratio(t.within_limit, offered),
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
            _ratio(t.within_target, offered),
            settings.service_level_target,
            "share",
            "ge",
        ),
        Kpi("lost_ratio_queue", _ratio(t.lost, offered), settings.max_lost_ratio, "share"),
        Kpi(
            "lost_ratio_all_calls",
            _ratio(t.lost, calls_total),
            settings.max_lost_ratio,
            "share",
        ),
        Kpi(
            "average_wait_answered",
            _mean_wait(t.wait_answered_us, t.answered),
            float(settings.answer_target),
            "s",
        ),
        Kpi("average_wait_all", _mean_wait(t.wait_all_us, offered), None, "s"),
        Kpi(
            "max_wait",
            None if t.max_wait_us is None else round(t.max_wait_us / _MICRO, 1),
            float(settings.max_wait),
            "s",
        ),
    ]
    for call_type, target in handling_targets.items():
        total, n = t.talk.get(call_type, (0, 0))
        mean = round(total / n, 1) if n else None
        kpis.append(Kpi(f"handling_time_{call_type.value}", mean, float(target), "s"))
    kpis.append(Kpi("ivr_containment", _ratio(ivr_contained, calls_total), None, "share", "ge"))
    kpis.extend(extra_kpis)
    return QueueReport(
        calls_total=calls_total,
        offered=offered,
        answered=t.answered,
        answered_within_target=t.within_target,
        lost=t.lost,
        callbacks_from_queue=t.from_queue,
        callbacks_requested=callbacks_requested,
        callbacks_done=callbacks_done,
        ivr_contained=ivr_contained,
        lost_waiting=t.lost,
        lost_callback=t.from_queue,
        lost_in_ivr=ivr_hangups,
        wait_limit=limit,
        kpis=kpis,
        calls=calls,
        operator_time=list(operator_time),
    )
