"""Issue 21: the chaos soak in `make test`.  Two minutes of load (simulated callers submitting
readings and reaching operators, SIP callers, a campaign, the live wallboard) on a sandbox
instance, PostgreSQL and ports of its own, while eleven seeded faults (every kind: the engine
killed and stopped, Asterisk restarted and killed, the console restarted, PostgreSQL down, the
call log locked, the recordings disk full, the engine's AMI link cut) hit it; then every
fault must have recovered and every invariant of the auditor hold."""

from __future__ import annotations

import argparse

import pytest

from bench.soak.faults import ALL_KINDS
from bench.soak.run import soak
from tests.chaos_pg import NO_SERVER

# Its own xdist group, a name only (with pytest 9, loadgroup does not group; the soak is one
# test, on its own sandbox instance and ports, so nothing needs keeping together or apart).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("soak"), NO_SERVER]

SEED = 21


def test_two_minutes_of_faults_of_every_kind_under_load_and_the_invariants_hold() -> None:
    options = argparse.Namespace(
        minutes=2.0, seed=SEED, faults=len(ALL_KINDS) + 2, callers=3, json=None, keep=None
    )
    result = soak(options)
    assert {f.planned.kind for f in result.faults} == set(ALL_KINDS)
    assert len(result.faults) >= 10
    assert result.passed, result.report()
