"""Where the suite's CPU goes (issue 19, a suite under 10 minutes): an opt-in pytest plugin.

``pytest -p tests.cpu_profile ...`` (``make test PYTEST_ARGS='-p tests.cpu_profile'``) writes
one JSON line per test to ``var/cpu/<worker>.jsonl``: its wall seconds (setup, call and
teardown) and the CPU seconds spent meanwhile by the worker itself, by its descendants (engine
subprocesses, Chromium, sipp, Kannel: live ones read from ``/proc``, finished ones from the
worker's reaped-children times) and by the worker's sandbox Asterisk (a daemon outside the
worker's process tree, found by its pid file).  ``python -m tests.cpu_profile`` sums them:
the tests and modules with the most CPU first.  Linux only (``/proc``); nothing runs without
``-p tests.cpu_profile``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Generator, Iterable, Sequence
from pathlib import Path
from typing import Final

import pytest

OUT_DIR: Final = Path("var/cpu")
_TICK: Final = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            # Fields after the command name (which may hold spaces): state is [0], utime [11].
            return stat.read().rpartition(")")[2].split()
    except OSError:
        return None


def _own_cpu(pid: int) -> float | None:
    """utime + stime of one live process, in seconds."""
    fields = _stat_fields(pid)
    if fields is None or len(fields) < 13:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children", encoding="ascii") as children:
                    kids = [int(p) for p in children.read().split()]
            except OSError:
                continue
            found.extend(kids)
            todo.extend(kids)
    return found


def _asterisk_pid() -> int | None:
    try:
        from hotline.sandbox.layout import SandboxLayout
        from hotline.settings import load_settings

        text = SandboxLayout.of(load_settings()).pid_file.read_text().strip()
        return int(text)
    except (OSError, ValueError, ImportError):
        return None


class _Snapshot:
    """CPU seconds of the worker, its reaped children and each live descendant/Asterisk."""

    def __init__(self) -> None:
        times = os.times()
        self.own = times.user + times.system
        self.reaped = times.children_user + times.children_system
        self.live: dict[int, float] = {}
        for pid in _descendants(os.getpid()):
            cpu = _own_cpu(pid)
            if cpu is not None:
                self.live[pid] = cpu
        asterisk = _asterisk_pid()
        self.asterisk_pid = asterisk
        self.asterisk = (_own_cpu(asterisk) if asterisk else None) or 0.0


def _delta(before: _Snapshot, after: _Snapshot) -> dict[str, float]:
    # A live descendant's CPU counts what it spent since the first snapshot (all of it when it
    # started during the test); one that finished and was reaped shows in ``reaped``.  What a
    # descendant that was live before and reaped since spent before the test is subtracted.
    live = sum(cpu - before.live.get(pid, 0.0) for pid, cpu in after.live.items())
    gone = sum(cpu for pid, cpu in before.live.items() if pid not in after.live)
    reaped = after.reaped - before.reaped - gone
    asterisk = (
        after.asterisk - before.asterisk
        if after.asterisk_pid == before.asterisk_pid
        else after.asterisk
    )
    return {
        "own": round(after.own - before.own, 3),
        "children": round(max(0.0, reaped) + live, 3),
        "asterisk": round(max(0.0, asterisk), 3),
    }


def _out_file(config: pytest.Config) -> Path:
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    return OUT_DIR / f"{worker}.jsonl"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None]:
    before = _Snapshot()
    started = time.monotonic()
    yield
    wall = time.monotonic() - started
    record = {"test": item.nodeid, "wall": round(wall, 3), **_delta(before, _Snapshot())}
    with _out_file(item.config).open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


def load(paths: Iterable[Path]) -> list[dict[str, object]]:
    return [
        json.loads(line)
        for path in paths
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float | str) else 0.0


def summary(records: Sequence[dict[str, object]], top: int = 40) -> str:
    def cpu(r: dict[str, object]) -> float:
        return _num(r["own"]) + _num(r["children"]) + _num(r["asterisk"])

    lines = []
    totals = {k: sum(_num(r[k]) for r in records) for k in ("wall", "own", "children", "asterisk")}
    lines.append(
        f"{len(records)} tests: wall {totals['wall']:.0f} s, CPU own {totals['own']:.0f} s, "
        f"children {totals['children']:.0f} s, asterisk {totals['asterisk']:.0f} s"
    )
    lines.append(f"\nthe {top} tests with the most CPU (cpu own children asterisk wall):")
    lines.extend(
        f"{cpu(r):7.1f} {_num(r['own']):7.1f} {_num(r['children']):7.1f} "
        f"{_num(r['asterisk']):6.1f} {_num(r['wall']):7.1f}  {r['test']}"
        for r in sorted(records, key=cpu, reverse=True)[:top]
    )
    per_module: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for r in records:
        entry = per_module[str(r["test"]).split("::", 1)[0]]
        entry[0] += cpu(r)
        entry[1] += _num(r["wall"])
        entry[2] += 1
    lines.append(f"\nthe {top} modules with the most CPU (cpu wall tests):")
    for module, (c, w, n) in sorted(per_module.items(), key=lambda kv: -kv[1][0])[:top]:
        lines.append(f"{c:7.1f} {w:7.1f} {int(n):4d}  {module}")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(OUT_DIR.glob("*.jsonl"))
    print(summary(load(paths)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
