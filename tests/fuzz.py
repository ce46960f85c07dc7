"""The Hypothesis settings of the fuzz and equivalence tests: repeatable (derandomized, no
example database, so a run on a fresh machine draws what a warm one draws) and without a
deadline (these machines are shared and noisy)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def fuzz(max_examples: int, *checks: HealthCheck) -> settings:
    """``max_examples`` examples; ``checks``: health checks suppressed besides ``too_slow``."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, *checks],
    )
