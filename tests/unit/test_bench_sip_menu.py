"""Scoring of the SIP menu bench (bench/sip_menu.py): latencies from AMI marks per channel,
calls that went wrong, and the verdict when a figure is only a lower bound."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from bench.rtp_dtmf import Key
from bench.sip_menu import Processes, settle
from bench.sip_menu_sipp import favoured
from bench.sip_menu_walk import Mark, StepResult, Walk, bracket, figure, judge, score

WALK = Walk("31", (Key("3", 6000), Key("1", 7000)), 7800, ("/s/info.menu", "/s/info.tariffs"))


def _call(t0: float, answers: list[tuple[str, float, str]]) -> list[Mark]:
    marks = [Mark(t0, None, "/s/ivr.greeting", "agi"), Mark(t0 + 4, None, "/s/main", "agi")]
    for i, (key, latency_ms, file) in enumerate(answers):
        at = t0 + 6 + i
        marks += [Mark(at, key), Mark(at + latency_ms / 1000, None, file, "agi")]
    return marks


def test_latency_is_from_the_key_to_the_next_prompt() -> None:
    marks = {
        "a": _call(100.0, [("3", 2.0, "/s/info.menu"), ("1", 4.0, "/s/info.tariffs")]),
        "b": _call(100.5, [("3", 6.0, "/s/info.menu"), ("1", 8.0, "/s/info.tariffs")]),
    }
    result = score("engine", 2, marks, WALK, limit_ms=50)
    assert result.passed and result.calls_ok == 2 and result.keys == 4
    assert result.max_ms == pytest.approx(8.0, abs=0.01)
    assert result.p50_ms is not None and 4.0 <= result.p50_ms <= 6.0
    assert score("engine", 2, marks, WALK, limit_ms=7).passed is False  # p99 over the limit


def test_a_wrong_prompt_a_lost_key_or_a_missing_call_fails_the_step() -> None:
    wrong = {"a": _call(0.0, [("3", 2.0, "/s/info.menu"), ("1", 2.0, "/s/main")])}
    result = score("engine", 1, wrong, WALK, limit_ms=50)
    assert not result.passed and "after key 2" in result.failures[0]
    assert (result.calls_wrong_prompt, result.calls_keys_lost) == (1, 0)
    lost = {"a": _call(0.0, [("3", 2.0, "/s/info.menu")])}
    lost_result = score("engine", 1, lost, WALK, 50)
    assert "keys received '3'" in lost_result.failures[0]
    assert (lost_result.calls_wrong_prompt, lost_result.calls_keys_lost) == (0, 1)
    good = {"a": _call(0.0, [("3", 2.0, "/s/info.menu"), ("1", 2.0, "/s/info.tariffs")])}
    missing = score("dialplan", 2, good, WALK, 50)
    assert not missing.passed and "1 channels seen for 2 callers" in missing.failures


@pytest.mark.parametrize(
    ("figures", "relation", "met"),
    [
        ((64, False, 64, False), "=", True),
        ((64, False, 32, False), "=", False),
        ((256, True, 64, False), "<=", False),  # the dialplan could do even more
        ((64, False, 256, True), ">=", True),
        ((256, True, 256, True), "=", None),  # both passed every step: undecided
        ((0, False, 0, False), "=", False),
    ],
)
def test_the_verdict_respects_figures_that_are_only_lower_bounds(
    figures: tuple[int, bool, int, bool], relation: str, met: bool | None
) -> None:
    verdict = judge(*figures)
    assert (verdict.relation, verdict.met) == (relation, met)


def _step(system: str, callers: int, passed: bool) -> StepResult:
    return StepResult(system, callers, callers, 7 * callers, 1.0, 2.0, 3.0, [], passed)


def test_the_figure_is_the_most_callers_passed_below_the_fewest_failed() -> None:
    results = [
        _step("engine", 32, True),
        _step("engine", 64, True),
        _step("engine", 128, False),
        _step("engine", 96, False),  # a refining step
        _step("dialplan", 64, True),
        _step("dialplan", 128, True),
    ]
    assert bracket(results, "engine") == (64, 96)
    assert figure(results, "engine") == (64, False)
    assert figure(results, "dialplan") == (128, True)  # never failed: a lower bound


def test_each_key_of_the_walk_has_its_own_p99() -> None:
    # Where a step is lost: the first key, right after the call start's work, or later ones.
    marks = {
        name: _call(100.0 + n, [("3", first, "/s/info.menu"), ("1", 2.0, "/s/info.tariffs")])
        for n, (name, first) in enumerate((("a", 90.0), ("b", 3.0), ("c", 4.0)))
    }
    result = score("engine", 3, marks, WALK, limit_ms=50)
    assert not result.passed
    assert result.p99_by_key[0] > 80 and result.p99_by_key[1] == pytest.approx(2.0, abs=0.01)


def test_a_step_reports_the_load_generators_cpu_apart() -> None:
    # SIPp is a child each step waits for: its CPU shows in the children's count, not in
    # the bench's own.
    processes = Processes(asterisk=None, engine=os.getpid())
    before = processes.cpu()
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    subprocess.run([sys.executable, "-c", burn], check=True)
    after = processes.cpu()
    asterisk, _engine, children, _bench = (b - a for a, b in zip(before, after, strict=True))
    assert asterisk == 0.0
    assert children >= 0.25


async def test_a_step_waits_until_asterisk_and_the_engine_are_idle() -> None:
    # CPU seconds so far (Asterisk, engine, children, bench): the engine busy for two
    # windows (the last step's hang-ups), then idle.
    busy_then_idle = [(0.0, engine, 0.0, 0.0) for engine in (0.0, 1.0, 1.0, 2.0, 2.0)]
    totals = itertools.chain(busy_then_idle, itertools.repeat((0.0, 2.0, 0.0, 0.0)))
    processes = SimpleNamespace(cpu=lambda: next(totals))
    waited = await settle(cast(Any, processes), window=0.01, longest=5.0)
    assert 0.03 <= waited < 1.0
    # Never idle: the step begins anyway after the longest wait.
    busy = itertools.count()
    always = SimpleNamespace(cpu=lambda: (0.0, float(next(busy)), 0.0, 0.0))
    assert await settle(cast(Any, always), window=0.01, longest=0.05) >= 0.05


def test_sipp_runs_favoured_in_a_session_of_its_own_at_the_nice_asked_for() -> None:
    # A caller's phone keeps time: SIPp's threads must not wait behind the PBX's for a core.
    # The process's nice counts where the kernel does not schedule by session (a container's
    # cgroup, autogroups off); its session's autogroup counts where it does.
    probe = [
        sys.executable,
        "-c",
        "import os, pathlib; group = pathlib.Path('/proc/self/autogroup'); "
        "print(os.getsid(0), os.getpriority(os.PRIO_PROCESS, 0), "
        "group.read_text().strip() if group.exists() else 'none', sep='|')",
    ]

    def as_run(argv: list[str]) -> tuple[int, int, str]:
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
        session, nice, group = out.split("|")
        return int(session), int(nice), group

    session, nice, group = as_run(favoured(probe, -10))
    assert session != os.getsid(0)
    assert nice == -10
    if Path("/proc/self/autogroup").exists():
        assert group.endswith("nice -10")
    # 0: as before, in the bench's own session at its nice.
    assert favoured(["cat"], 0) == ["cat"]
    assert as_run(favoured(probe, 0))[:2] == (os.getsid(0), os.getpriority(os.PRIO_PROCESS, 0))
