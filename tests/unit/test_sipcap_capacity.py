"""Issue 19 item 1: the SIP menu benchmarks' capacity search (bench/capacity.py), one loop for
bench sip_menu and bench cluster, measures each system's figure: past the listed steps the
callers double until every system has failed, so the ratio is not a bound."""

from __future__ import annotations

from bench.capacity import Step, rising, search
from bench.sip_menu_walk import StepResult, figure, judge


def limits(**capacity: int) -> tuple[list[tuple[str, int]], Step]:
    """A fake step: a system passes up to its capacity; the steps run are recorded."""
    ran: list[tuple[str, int]] = []

    async def step(system: str, callers: int) -> StepResult:
        ran.append((system, callers))
        ok = callers <= capacity[system]
        return StepResult(system, callers, callers, 7 * callers, 5.0, 9.0, 9.0, [], ok)

    return ran, step


def test_past_the_listed_steps_the_callers_double_up_to_the_cap() -> None:
    assert list(rising([1, 2, 4], 16)) == [1, 2, 4, 8, 16]
    assert list(rising([1, 3], 10)) == [1, 3, 6]
    assert list(rising([8, 16], 0)) == [8, 16]  # no cap: the listed steps only


async def test_both_figures_are_measured_when_the_dialplan_outlasts_the_steps() -> None:
    ran, step = limits(dialplan=300, engine=100)
    results = await search(("dialplan", "engine"), [32, 64], step, refine=1, max_callers=1024)
    # Alternating who goes first; the engine stops at 128, the dialplan goes on to 512.
    assert ran[:6] == [
        ("dialplan", 32),
        ("engine", 32),
        ("engine", 64),
        ("dialplan", 64),
        ("dialplan", 128),
        ("engine", 128),
    ]
    assert ran[6:8] == [("dialplan", 256), ("dialplan", 512)]
    # Then one refining step each: half way between the last pass and the first failure
    # (the sixth round of attempts: the order flipped again).
    assert ran[8:] == [("engine", 96), ("dialplan", 384)]
    twin, twin_open = figure(results, "dialplan")
    engine, engine_open = figure(results, "engine")
    assert (twin, twin_open, engine, engine_open) == (256, False, 96, False)
    verdict = judge(twin, twin_open, engine, engine_open)
    assert verdict.relation == "=" and verdict.ratio == 96 / 256


async def test_a_system_that_passes_up_to_the_cap_is_still_a_lower_bound() -> None:
    _ran, step = limits(dialplan=10_000, engine=10_000)
    shown: list[StepResult] = []
    results = await search(("dialplan", "engine"), [1], step, max_callers=4, shown=shown.append)
    assert [r.callers for r in results] == [1, 1, 2, 2, 4, 4] and shown == results
    assert figure(results, "engine") == (4, True)


async def test_a_system_that_fails_the_first_step_is_refined_from_a_step_it_passes() -> None:
    ran, step = limits(dialplan=224, engine=256)
    results = await search(("dialplan", "engine"), [256, 320], step, refine=2, max_callers=320)
    twin_steps = [callers for system, callers in ran if system == "dialplan"]
    # Down by halves to a pass (not a refine step), then two refine steps between 128 and 256.
    assert twin_steps == [256, 128, 192, 224]
    assert figure(results, "dialplan") == (224, False)
    assert figure(results, "engine") == (256, False)


async def test_the_systems_attempts_at_a_step_are_taken_in_turns() -> None:
    """Confirming attempts alternate between the systems, at a shared step and at their own
    steps below it, so both sample the same stretch of a shared machine's time."""
    ran, step = limits(dialplan=180, engine=90)
    results = await search(
        ("dialplan", "engine"), [128, 256], step, refine=1, max_callers=256, confirm=2
    )
    assert ran == [
        # 128: the dialplan passes, the engine fails three times, in turns with nobody left.
        ("dialplan", 128),
        ("engine", 128),
        ("engine", 128),
        ("engine", 128),
        # 256, the dialplan alone (the order flipped): three attempts.
        ("dialplan", 256),
        ("dialplan", 256),
        ("dialplan", 256),
        # The engine down by halves to a pass.
        ("engine", 64),
        # Refining (the fourth round: the order flipped), both failing: in turns.
        *[("engine", 96), ("dialplan", 192)] * 3,
    ]
    assert figure(results, "dialplan") == (128, False)
    assert figure(results, "engine") == (64, False)


async def test_a_shared_failed_step_alternates_the_systems_attempts() -> None:
    ran, step = limits(dialplan=100, engine=100)
    await search(("dialplan", "engine"), [128], step, refine=0, confirm=2)
    assert ran[:6] == [("dialplan", 128), ("engine", 128)] * 3
