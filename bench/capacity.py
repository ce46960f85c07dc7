"""The capacity search shared by the SIP menu benchmarks (bench/sip_menu.py, bench/cluster.py):
rising steps of concurrent callers, the systems alternating which goes first, a system
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
    is the p99 of a small step, whichever system it hits (the same rule for both)."""
    results: list[StepResult] = []

    async def run(system: str, callers: int) -> None:
        for _attempt in range(confirm + 1):
            result = await step(system, callers)
            shown(result)
            if result.passed:
                break
        results.append(result)

    alive = list(systems)
    for i, callers in enumerate(rising(steps, max(max_callers, *steps, 0))):
        for system in list(alive if i % 2 == 0 else alive[::-1]):
            await run(system, callers)
            if not results[-1].passed:
                alive.remove(system)
        if not alive:
            break
    for system in systems:
        # A system that failed the first step: down by halves to a step it passes first, so
        # the refine steps below are spent between a pass and a failure (run 60's twin failed
        # 256 and its two refine steps went to 128 and 192; 224 was never tried).
        passed, failed = bracket(results, system)
        callers = failed // 2
        while passed == 0 and callers >= 1:
            await run(system, callers)
            passed, _failed = bracket(results, system)
            callers //= 2
        for _ in range(refine):
            passed, failed = bracket(results, system)
            middle = (passed + failed) // 2
            if failed == 0 or middle in (passed, failed):
                break
            await run(system, middle)
    return results
