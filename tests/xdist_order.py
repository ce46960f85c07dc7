"""The order pytest-xdist hands tests out in: longest first (issue 19, a suite that halves).

``--dist loadgroup`` gives a worker the next test of the queue whenever it is nearly idle (an
``xdist_group``'s tests stay next to each other in the queue, but with pytest 9 they may go to
different workers: ``loadgroup`` no longer groups, see ``tests/conftest.py``).  With the
longest units first the last ones to finish are short, so no worker is left alone playing a
minute of prompts while the others wait.
Calls that wait on audio and CPU-bound tests are interleaved, so the cores stay busy while
calls wait.  The expected seconds of each test come from ``tests/durations.json`` (measured
with ``--durations=0 -v``; ``python -m tests.xdist_order LOG [CPU_SCALE]`` rewrites it from such
a run's output; the committed figures come from a whole ``make test`` on a quiet machine, with
``-v`` so that the tests under 5 ms are listed too); a test not listed there counts as its
module's average, or as a default for its kind.  The file only steers the order: a stale or
missing entry makes the run slower, never wrong.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final, Protocol

DURATIONS: Final = Path(__file__).with_name("durations.json")
# Expected seconds of a test in a module durations.json does not know.
DEFAULT_E2E: Final = 15.0
DEFAULT_OTHER: Final = 0.1
# Where the tests that wait on real time (calls, browsers) live, for CPU_SCALE in main().
WAITING_DIRS: Final = ("tests/e2e/", "tests/security/")
# "12.34s call     tests/e2e/test_x.py::test_y" lines of pytest's --durations report.
_DURATION_LINE = re.compile(r"^\s*([0-9.]+)s (?:setup|call|teardown)\s+(\S.*?)\s*$")
# "[gw3] PASSED tests/unit/test_x.py::test_y" lines of a -v run under xdist (any column between
# the worker and the outcome): the tests whose durations pytest hid as under 5 ms.
_RESULT_LINE = re.compile(
    r"^\[gw\d+\] .*?\b(?:PASSED|FAILED|ERROR|XFAIL|XPASS) (\S+::.+?)"
    r"(?:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d.*)?\s*$"  # a log record the line ran into
)


class Item(Protocol):
    @property
    def nodeid(self) -> str: ...


def load_durations(path: Path = DURATIONS) -> dict[str, float]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items()} if isinstance(data, dict) else {}


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def expected_seconds(
    nodeids: Sequence[str], durations: Mapping[str, float], e2e: set[str]
) -> list[float]:
    """Each test's expected seconds: measured, else its module's average, else a default."""
    per_module: dict[str, list[float]] = defaultdict(list)
    for nodeid, seconds in durations.items():
        per_module[module_of(nodeid)].append(seconds)
    averages = {m: sum(v) / len(v) for m, v in per_module.items()}
    result = []
    for nodeid in nodeids:
        known = durations.get(nodeid)
        if known is None:
            known = averages.get(module_of(nodeid))
        if known is None:
            known = DEFAULT_E2E if nodeid in e2e else DEFAULT_OTHER
        result.append(known)
    return result


def longest_first(
    items: Sequence[Item],
    groups: Sequence[str | None],
    seconds: Sequence[float],
    waiting: Sequence[bool] | None = None,
) -> list[int]:
    """Indexes of ``items`` with the most expensive units first; a unit is an ``xdist_group``
    (kept together in the queue, in collection order) or else one test.  Ties keep collection
    order.

    ``waiting`` marks the tests that mostly wait (calls playing prompts in real time) rather
    than compute: the two kinds are merged so that each has had about the same share of its own
    expected seconds handed out at any point, and both run out together.  So some workers keep
    the two cores busy while others wait on audio from the first minute to the last (a run
    that starts every CPU-bound property at once leaves the calls for later; one that handed
    both kinds out second for second ran out of computing tests at 300 s of 470, and the rest
    was calls alone at 15-40 % of the CPU).  Paced so, the CPU stayed at 60-100 % to the end;
    the wall time did not move (505 s against 502: the calls were slowed by as much as the
    computing tests gained), but a run is no longer the busy half and the idle half."""
    unit_of = [
        group if group is not None else f"test:{item.nodeid}"
        for item, group in zip(items, groups, strict=True)
    ]
    cost: dict[str, float] = defaultdict(float)
    first: dict[str, int] = {}
    waits: dict[str, bool] = {}
    for index, unit in enumerate(unit_of):
        cost[unit] += seconds[index]
        first.setdefault(unit, index)
        waits[unit] = waits.get(unit, False) or bool(waiting is not None and waiting[index])
    units = sorted(first, key=lambda u: (-cost[u], first[u]))
    lanes = [[u for u in units if waits[u]], [u for u in units if not waits[u]]]
    totals = [sum(cost[u] for u in lane) or 1.0 for lane in lanes]
    handed = [0.0, 0.0]
    heads = [0, 0]
    ordered: list[str] = []
    while len(ordered) < len(units):
        open_lanes = [k for k in (0, 1) if heads[k] < len(lanes[k])]
        lane = min(open_lanes, key=lambda k: (handed[k] / totals[k], k))
        unit = lanes[lane][heads[lane]]
        heads[lane] += 1
        handed[lane] += cost[unit]
        ordered.append(unit)
    rank = {unit: position for position, unit in enumerate(ordered)}
    return sorted(range(len(items)), key=lambda i: (rank[unit_of[i]], i))


def parse_durations(lines: Iterable[str]) -> dict[str, float]:
    """Seconds per test (setup, call and teardown summed) from a --durations=0 report; with
    -v, a test whose durations pytest hid (under 5 ms each) is listed at 0, so that it does not
    count as its module's average, which the slow tests that were listed make far too high."""
    totals: dict[str, float] = defaultdict(float)
    for line in lines:
        match = _DURATION_LINE.match(line)
        if match:
            totals[match.group(2)] += float(match.group(1))
        elif result := _RESULT_LINE.match(line):
            totals[result.group(1)] += 0.0
    return {nodeid: round(seconds, 2) for nodeid, seconds in sorted(totals.items())}


def main(argv: Sequence[str]) -> int:
    """``python -m tests.xdist_order LOG [CPU_SCALE]``: rewrite durations.json from a run's
    --durations=0 output; CPU_SCALE multiplies the figures of tests outside tests/e2e and
    tests/security (the CPU-bound ones), for a run measured on a machine busy with other work,
    where they stretch and the calls do not."""
    if len(argv) not in (1, 2):
        print("usage: python -m tests.xdist_order PYTEST_OUTPUT [CPU_SCALE]", file=sys.stderr)
        return 2
    scale = float(argv[1]) if len(argv) == 2 else 1.0
    with open(argv[0], encoding="utf-8", errors="replace") as log:
        found = parse_durations(log)
    for nodeid, seconds in found.items():
        if not nodeid.startswith(WAITING_DIRS):
            found[nodeid] = round(seconds * scale, 2)
    DURATIONS.write_text(json.dumps(found, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(found)} tests written to {DURATIONS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
