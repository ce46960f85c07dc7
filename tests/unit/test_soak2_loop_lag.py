"""Issue 21 item 2: the engine's loop lag apart from a busy machine.  The wall lag (what
every task saw) counts the time the loop's thread waited for a CPU that other processes
held; the own lag does not: blocking work on the loop shows in both, starvation in the
first only."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from prometheus_client import generate_latest

from hotline.core import metrics
from hotline.core.metrics import REGISTRY, ThreadWait, own_lag, watch_loop_lag


def _count(le: str, name: str) -> float:
    text = generate_latest(REGISTRY).decode()
    line = f'{name}_bucket{{le="{le}"}} '
    return next(float(row[len(line) :]) for row in text.splitlines() if row.startswith(line))


def test_own_lag_is_the_lag_less_the_wait_for_a_cpu() -> None:
    assert own_lag(1.5, 1.4) == pytest.approx(0.1)
    assert own_lag(0.3, 0.0) == 0.3
    assert own_lag(0.2, 0.5) == 0.0  # the wait spans the sleep too: never negative


def test_the_loop_threads_wait_for_a_cpu_is_read_and_only_grows() -> None:
    wait = ThreadWait()
    try:
        first = wait.seconds()
        sum(range(200_000))
        assert wait.seconds() >= first >= 0.0
    finally:
        wait.close()
    assert wait.seconds() == 0.0  # closed: nothing to read, no error


async def _probe(block: float) -> None:
    probe = asyncio.create_task(watch_loop_lag(0.01))
    await asyncio.sleep(0.05)
    time.sleep(block)  # noqa: ASYNC251 - the loop blocked (or starved, as scripted)
    await asyncio.sleep(0.05)
    probe.cancel()


async def test_blocking_work_on_the_loop_is_the_engines_own_lag(
    caplog: pytest.LogCaptureFixture,
) -> None:
    wall = _count("0.1", metrics.LAG_WALL_NAME)
    own = _count("0.1", metrics.LAG_OWN_NAME)
    total_own = _count("+Inf", metrics.LAG_OWN_NAME)
    await _probe(0.3)
    # The blocked wake-up: more than 0.1 s late in both histograms.
    late_own = (_count("+Inf", metrics.LAG_OWN_NAME) - total_own) - (
        _count("0.1", metrics.LAG_OWN_NAME) - own
    )
    assert late_own >= 1
    assert _count("0.1", metrics.LAG_WALL_NAME) - wall >= 1


async def test_a_loop_starved_of_cpu_is_not_the_engines_own_lag(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Scripted: whenever the loop's thread was away, the kernel says it was waiting for a
    # CPU all that time (other processes had the cores).
    monkeypatch.setattr(ThreadWait, "seconds", lambda self: time.monotonic())
    monkeypatch.setattr(metrics, "LAG_LOGGED", 1.0)
    own_before = _count("+Inf", metrics.LAG_OWN_NAME) - _count("0.25", metrics.LAG_OWN_NAME)
    wall_before = _count("+Inf", metrics.LAG_WALL_NAME) - _count("0.25", metrics.LAG_WALL_NAME)
    with caplog.at_level(logging.WARNING, logger="hotline.core.metrics"):
        await _probe(1.1)
    own_late = _count("+Inf", metrics.LAG_OWN_NAME) - _count("0.25", metrics.LAG_OWN_NAME)
    wall_late = _count("+Inf", metrics.LAG_WALL_NAME) - _count("0.25", metrics.LAG_WALL_NAME)
    assert wall_late - wall_before >= 1  # the callers saw it
    assert own_late == own_before  # but it was not the engine's
    assert any("waiting for a CPU" in r.getMessage() for r in caplog.records)
