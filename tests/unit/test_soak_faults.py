"""The soak's fault plan: seeded and repeatable, every kind covered, spread over the run."""

from __future__ import annotations

import pytest

from bench.soak.faults import (
    ALL_KINDS,
    FaultKind,
    FaultRecord,
    PlannedFault,
    describe_plan,
    fault_table,
    plan_faults,
)


def test_the_same_seed_gives_the_same_plan_and_another_seed_another() -> None:
    assert plan_faults(7, 120, 18) == plan_faults(7, 120, 18)
    assert plan_faults(7, 120, 18) != plan_faults(8, 120, 18)


def test_every_kind_is_planned_within_the_settled_part_of_the_run_in_order() -> None:
    plan = plan_faults(3, 120, 12, settle=10)
    assert {f.kind for f in plan} == set(ALL_KINDS)
    moments = [f.at for f in plan]
    assert moments == sorted(moments)
    assert all(10 <= at <= 110 for at in moments)
    holds = {f.kind: f.hold for f in plan}
    assert 2.0 <= holds[FaultKind.DB_DOWN] <= 6.0 and holds[FaultKind.ENGINE_KILL] == 0.0


def test_too_few_faults_for_the_kinds_or_too_short_a_run_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot cover"):
        plan_faults(1, 120, len(ALL_KINDS) - 1)
    with pytest.raises(ValueError, match="no time"):
        plan_faults(1, 20, 12, settle=10)


def test_the_table_shows_recovery_and_faults_never_recovered() -> None:
    kill = PlannedFault(12.0, FaultKind.ENGINE_KILL, 0.0)
    down = PlannedFault(30.0, FaultKind.DB_DOWN, 3.0)
    table = fault_table(
        [FaultRecord(kill, 12.1, 14.6), FaultRecord(down, 30.2, None, "still down")]
    )
    assert "engine_kill" in table and "2.5" in table
    assert "NEVER  (still down)" in table
    assert "db_down 1, engine_kill 1" in table
    assert "seed 5: 1 faults" in describe_plan(5, [kill])
