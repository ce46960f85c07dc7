"""Progressive pacing (issue 22 item 2): the dispatcher's pacing rule (``dialer.progressive``:
calls per free operator, the ratio back to 1 while the abandon rate is at the cap) driven by
a seeded simulation of one hour of a queue, one tick per second: operators talk for a random
time, callees answer after a random ring (or never), and an answered callee abandons if no
operator takes them within their patience.  For each ratio: the abandon rate measured
against the cap, the share of time the ratio applied, operator occupancy and answered calls
per operator-hour.  No Asterisk: this measures the pacing policy, not the telephony."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from dialer.progressive import AbandonRate, slots
from hotline.settings import ProgressiveSettings

SECONDS = 3600
OPERATORS = 10
ANSWER_PROBABILITY = 0.55
RING_SECONDS = (4, 20)
TALK_SECONDS = (60, 240)
# How long an answered callee waits for an operator before hanging up.
PATIENCE_SECONDS = (2, 8)
RATIOS = (1.0, 1.5, 2.0, 3.0)


@dataclass
class _Call:
    answers_at: int | None  # None: never answered, ends at ring_end
    ring_end: int
    patience: int
    queued_at: int | None = None


@dataclass
class _Result:
    ratio: float
    answered: int = 0
    abandoned: int = 0
    talks: int = 0
    busy_seconds: int = 0
    ratio_seconds: int = 0
    dialled: int = 0
    calls: list[_Call] = field(default_factory=list)

    @property
    def abandon_percent(self) -> float:
        return AbandonRate(self.answered, self.abandoned).percent


def simulate(ratio: float, settings: ProgressiveSettings, seed: int = 22) -> _Result:
    rng = random.Random(seed)
    free_at = [0] * OPERATORS
    result = _Result(ratio)
    in_flight: list[_Call] = []
    for now in range(SECONDS):
        # Callees answer, or give up ringing; answered ones join the queue.
        still: list[_Call] = []
        for call in in_flight:
            if call.queued_at is None:
                if call.answers_at is not None and now >= call.answers_at:
                    call.queued_at = now
                    result.answered += 1
                elif call.answers_at is None and now >= call.ring_end:
                    continue
            still.append(call)
        in_flight = still
        # Free operators take the longest-waiting callees; the impatient ones hang up.
        waiting = sorted(
            (c for c in in_flight if c.queued_at is not None), key=lambda c: c.queued_at or 0
        )
        for call in waiting:
            idle = [i for i, at in enumerate(free_at) if at <= now]
            assert call.queued_at is not None
            if idle:
                free_at[idle[0]] = now + rng.randint(*TALK_SECONDS)
                result.talks += 1
                in_flight.remove(call)
            elif now - call.queued_at >= call.patience:
                result.abandoned += 1
                in_flight.remove(call)
        free = sum(1 for at in free_at if at <= now)
        result.busy_seconds += OPERATORS - free
        rate = AbandonRate(result.answered, result.abandoned)
        calls, used = slots(free, len(in_flight), ratio, rate, settings)
        result.ratio_seconds += used > 1.0
        for _ in range(calls):
            ring = rng.randint(*RING_SECONDS)
            answers = rng.random() < ANSWER_PROBABILITY
            in_flight.append(
                _Call(now + ring if answers else None, now + ring, rng.randint(*PATIENCE_SECONDS))
            )
            result.dialled += 1
    return result


def run_progressive() -> None:
    settings = ProgressiveSettings()
    print(
        f"progressive pacing: {OPERATORS} operators, one simulated hour, answer "
        f"{ANSWER_PROBABILITY:.0%}, talk {TALK_SECONDS[0]}-{TALK_SECONDS[1]} s, patience "
        f"{PATIENCE_SECONDS[0]}-{PATIENCE_SECONDS[1]} s; abandon cap "
        f"{settings.max_abandon_percent:g} %"
    )
    print(
        f"  {'ratio':>5}  {'dialled':>7}  {'answered':>8}  {'abandoned':>9}  {'abandon %':>9}  "
        f"{'ratio on':>8}  {'occupancy':>9}  {'talks/op-h':>10}"
    )
    for ratio in RATIOS:
        r = simulate(ratio, settings)
        occupancy = r.busy_seconds / (OPERATORS * SECONDS)
        within = "≤ cap" if r.abandon_percent <= settings.max_abandon_percent + 0.5 else "OVER"
        print(
            f"  {ratio:>5.1f}  {r.dialled:>7}  {r.answered:>8}  {r.abandoned:>9}  "
            f"{r.abandon_percent:>8.1f}%  {r.ratio_seconds / SECONDS:>8.0%}  {occupancy:>9.0%}  "
            f"{r.talks / OPERATORS:>10.1f}  {within}"
        )
