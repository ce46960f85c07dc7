"""The soak's fault plan (issue 21): which fault at which second, drawn from a seed so a run
can be repeated, and the table of what was injected and how long recovery took.  Pure: the
injector (``inject.py``) carries the plan out."""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from typing import Final


class FaultKind(enum.StrEnum):
    ENGINE_KILL = "engine_kill"  # SIGKILL, restarted
    ENGINE_STOP = "engine_stop"  # SIGTERM (graceful), restarted
    ASTERISK_RESTART = "asterisk_restart"  # `core restart now`
    ASTERISK_KILL = "asterisk_kill"  # SIGKILL, started again
    CONSOLE_RESTART = "console_restart"  # `hotline web` killed and started again
    DB_DOWN = "db_down"  # PostgreSQL stopped for a few seconds
    DB_LOCK = "db_lock"  # the call log's tables locked for a few seconds (a slow database)
    DISK_FULL = "disk_full"  # the recordings folder's file system filled for a few seconds
    AMI_DROP = "ami_drop"  # the engine's AMI connection killed (ss -K)


ALL_KINDS: Final = tuple(FaultKind)


@dataclass(frozen=True)
class PlannedFault:
    at: float  # seconds from the start of the load
    kind: FaultKind
    hold: float  # how long the fault lasts before it is undone (0: undone by recovery)


@dataclass
class FaultRecord:
    planned: PlannedFault
    started: float  # seconds from the start of the load
    recovered: float | None = None  # seconds from the start; None: never recovered
    error: str | None = None
    skipped: str | None = None  # the target was not there to break (why)

    @property
    def recovery(self) -> float | None:
        return None if self.recovered is None else self.recovered - self.started


HOLD_SECONDS: Final = {
    FaultKind.DB_DOWN: (2.0, 6.0),
    FaultKind.DB_LOCK: (1.0, 4.0),
    FaultKind.DISK_FULL: (2.0, 6.0),
}


def plan_faults(
    seed: int,
    seconds: float,
    count: int,
    kinds: tuple[FaultKind, ...] = ALL_KINDS,
    settle: float = 10.0,
) -> list[PlannedFault]:
    """``count`` faults (at least one of each of ``kinds``) at random moments in
    ``[settle, seconds - settle]``, the same for the same arguments.  Faults follow each
    other in time (the injector waits for one to recover before the next), so the moments
    are spread and sorted; their kinds are a shuffled cycle over ``kinds``."""
    if count < len(kinds):
        raise ValueError(f"{count} faults cannot cover {len(kinds)} kinds")
    if seconds <= 2 * settle:
        raise ValueError(f"a run of {seconds:g} s leaves no time after {settle:g} s settling")
    rng = random.Random(seed)
    order: list[FaultKind] = []
    while len(order) < count:
        cycle = list(kinds)
        rng.shuffle(cycle)
        order.extend(cycle)
    order = order[:count]
    moments = sorted(rng.uniform(settle, seconds - settle) for _ in order)
    plan = []
    for at, kind in zip(moments, order, strict=True):
        low, high = HOLD_SECONDS.get(kind, (0.0, 0.0))
        plan.append(PlannedFault(round(at, 1), kind, round(rng.uniform(low, high), 1)))
    return plan


def describe_plan(seed: int, plan: list[PlannedFault]) -> str:
    lines = [f"soak fault plan, seed {seed}: {len(plan)} faults"]
    lines += [f"  {f.at:7.1f} s  {f.kind:<17} hold {f.hold:.1f} s" for f in plan]
    return "\n".join(lines)


def fault_table(records: list[FaultRecord]) -> str:
    lines = [f"{'planned s':>9} {'started s':>9}  {'fault':<17} {'hold s':>6} {'recovery s':>10}"]
    for r in records:
        recovery = "NEVER" if r.recovery is None else f"{r.recovery:.1f}"
        line = (
            f"{r.planned.at:>9.1f} {r.started:>9.1f}  {r.planned.kind:<17} "
            f"{r.planned.hold:>6.1f} {recovery:>10}"
        )
        if r.skipped:
            line = line.replace(f"{recovery:>10}", f"{'skipped':>10}") + f"  ({r.skipped})"
        lines.append(line + (f"  ({r.error})" if r.error else ""))
    by_kind: dict[str, int] = {}
    for r in records:
        by_kind[r.planned.kind] = by_kind.get(r.planned.kind, 0) + 1
    lines.append("faults by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items())))
    skipped = sum(1 for r in records if r.skipped)
    failed = sum(1 for r in records if r.error)
    injected = len(records) - skipped
    lines.append(f"injected {injected}, skipped {skipped}, injector failures {failed}")
    return "\n".join(lines)
