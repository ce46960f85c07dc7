"""The capacity search shared by the SIP menu benchmarks (bench/sip_menu.py, bench/cluster.py):
rising steps of concurrent callers, the systems taking their attempts in turns, a system
dropped at its first failed step; past the listed steps the callers double until every
system has failed (or ``max_callers``), so each figure is measured, not bounded; a system that
failed the first step goes down by halves to one it passes; then ``refine`` steps halve the
gap between each system's last pass and first failure."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence

from bench.sip_menu_walk import StepResult, bracket

# One step: (system, concurrent callers) -> its result.
Step = Callable[[str, int], Awaitable[StepResult]]


def rising(steps: Sequence[int], max_callers: int) -> Iterator[int]:
    """The listed steps, then doubling from the last one up to ``max_callers``."""
    yield from steps
    callers = steps[-1] if steps else 0
    while callers and callers * 2 <= max_callers:
        callers *= 2
        yield callers


async def search(
    systems: Sequence[str],
    steps: Sequence[int],
    step: Step,
    *,
    refine: int = 1,
    max_callers: int = 0,
    confirm: int = 0,
    shown: Callable[[StepResult], None] = lambda _result: None,
) -> list[StepResult]:
    """Every step's result, in the order run (``shown`` sees each attempt as it comes).

    ``confirm``: a failed step is run again up to this many times and fails only if every
    attempt did: on a machine shared with other work one scheduling stall of a few hundred ms
    is the p99 of a small step, whichever system it hits (the same rule for both).

    The systems' attempts are interleaved (A, B, A, B...), at a shared step and at each
    system's own steps below it alike: one system's three attempts at a step used to run back
    to back and could all fall into a slow minute of the shared machine that the other
    system's never saw (run 66: the engine's three attempts at 256 all met Asterisk at
    1.19-1.21 cores, the twin's two, right after, 1.18 and 0.98)."""
    results: list[StepResult] = []
    rounds = 0

    async def attempts(plan: dict[str, int]) -> None:
        """Each system of ``plan`` at its callers, their attempts taken in turns, the order
        flipped from one call to the next; each system's last attempt is its result."""
        nonlocal rounds
        order = list(plan) if rounds % 2 == 0 else list(plan)[::-1]
        rounds += 1
        last: dict[str, StepResult] = {}
        for _attempt in range(confirm + 1):
            for system in [s for s in order if s not in last or not last[s].passed]:
                last[system] = result = await step(system, plan[system])
                shown(result)
            if all(result.passed for result in last.values()):
                break
        results.extend(last[system] for system in order)

    alive = list(systems)
    for callers in rising(steps, max(max_callers, *steps, 0)):
        await attempts(dict.fromkeys(alive, callers))
        alive = [system for system in alive if bracket(results, system)[1] == 0]
        if not alive:
            break
    # A system that failed the first step: down by halves to a step it passes first, so
    # the refine steps below are spent between a pass and a failure (run 60's twin failed
    # 256 and its two refine steps went to 128 and 192; 224 was never tried).
    down = {system: bracket(results, system)[1] // 2 for system in systems}
    while plan := {s: down[s] for s in systems if bracket(results, s)[0] == 0 and down[s] >= 1}:
        await attempts(plan)
        down = {system: callers // 2 for system, callers in down.items()}
    for _ in range(refine):
        plan = {}
        for system in systems:
            passed, failed = bracket(results, system)
            middle = (passed + failed) // 2
            if failed and middle not in (passed, failed):
                plan[system] = middle
        if not plan:
            break
        await attempts(plan)
    return results
