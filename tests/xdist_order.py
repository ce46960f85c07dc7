"""The order pytest-xdist hands tests out in: longest first (issue 19, a suite that halves).

``--dist loadgroup`` gives a worker the next unit of the queue (one test, or a whole
``xdist_group``) whenever it is nearly idle.  With the longest units first the last ones to
finish are short, so no worker is left alone playing a minute of prompts while the others wait.
The expected seconds of each test come from ``tests/durations.json`` (measured with
``--durations=0``; `python -m tests.xdist_order LOG` rewrites it from such a run's output); a
test not listed there counts as its module's average, or as a default for its kind.  The file
only steers the order: a stale or missing entry makes the run slower, never wrong.
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
# "12.34s call     tests/e2e/test_x.py::test_y" lines of pytest's --durations report.
_DURATION_LINE = re.compile(r"^\s*([0-9.]+)s (?:setup|call|teardown)\s+(\S.*?)\s*$")


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
    items: Sequence[Item], groups: Sequence[str | None], seconds: Sequence[float]
) -> list[int]:
    """Indexes of ``items`` with the most expensive units first; a unit is an ``xdist_group``
    (kept together, in collection order) or else one test.  Ties keep collection order."""
    unit_of = [
        group if group is not None else f"test:{item.nodeid}"
        for item, group in zip(items, groups, strict=True)
    ]
    cost: dict[str, float] = defaultdict(float)
    first: dict[str, int] = {}
    for index, unit in enumerate(unit_of):
        cost[unit] += seconds[index]
        first.setdefault(unit, index)
    return sorted(range(len(items)), key=lambda i: (-cost[unit_of[i]], first[unit_of[i]], i))


def parse_durations(lines: Iterable[str]) -> dict[str, float]:
    """Seconds per test (setup, call and teardown summed) from a --durations=0 report."""
    totals: dict[str, float] = defaultdict(float)
    for line in lines:
        match = _DURATION_LINE.match(line)
        if match:
            totals[match.group(2)] += float(match.group(1))
    return {nodeid: round(seconds, 2) for nodeid, seconds in sorted(totals.items())}


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.xdist_order PYTEST_OUTPUT_WITH_DURATIONS_0", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8", errors="replace") as log:
        found = parse_durations(log)
    DURATIONS.write_text(json.dumps(found, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(found)} tests written to {DURATIONS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
