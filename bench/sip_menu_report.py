"""SIP menu benchmark: a step's line in the run's table (:mod:`bench.sip_menu`)."""

from __future__ import annotations

from bench.sip_menu_walk import StepResult


def fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _seconds(ms: float | None) -> str:
    return "-" if ms is None else f"{ms / 1000:.2f}"


def print_step(step: StepResult) -> None:
    verdict = "ok" if step.passed else "FAIL"
    print(
        f"{step.system:<10}{step.callers:>8}{step.calls_ok:>9}{step.keys:>7}"
        f"{fmt_ms(step.p50_ms):>9}{fmt_ms(step.p99_ms):>9}{fmt_ms(step.max_ms):>9}"
        f"{step.asterisk_cpu:>10.2f}{step.engine_cpu:>8.2f}{step.sipp_cpu:>6.2f}"
        f"{step.bench_cpu:>7.2f}"
        f"{_seconds(step.menu_p50_ms):>9}{_seconds(step.menu_max_ms):>6}  {verdict}",
        flush=True,
    )
    if step.settled_s >= 1.0:
        print(f"{'':<10}  began after {step.settled_s:.1f} s waiting for the last step's tail")
    if step.calls_keys_lost or step.calls_wrong_prompt:
        print(
            f"{'':<10}  calls failed: {step.calls_keys_lost} with keys Asterisk never reported, "
            f"{step.calls_wrong_prompt} with the wrong prompt after a key"
        )
    if not step.passed and step.p99_by_key:
        print(f"{'':<10}  p99 by key, ms: {' '.join(f'{ms:.0f}' for ms in step.p99_by_key)}")
    for failure in step.failures[:3]:
        print(f"{'':<10}  {failure}")
