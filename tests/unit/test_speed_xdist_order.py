"""Issue 19: pytest-xdist hands the longest tests out first, groups stay whole and in order,
and the expected seconds come from the measured durations (tests/xdist_order.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.xdist_order import (
    DEFAULT_E2E,
    DEFAULT_OTHER,
    expected_seconds,
    load_durations,
    longest_first,
    parse_durations,
)


@dataclass(frozen=True)
class Node:
    nodeid: str


def test_the_longest_unit_goes_first_and_a_group_stays_whole_in_order() -> None:
    items = [Node("a.py::one"), Node("b.py::g1"), Node("c.py::long"), Node("b.py::g2")]
    groups = [None, "b", None, "b"]
    seconds = [1.0, 3.0, 5.0, 4.0]  # the group "b" costs 7, more than the single 5
    order = longest_first(items, groups, seconds)
    assert [items[i].nodeid for i in order] == ["b.py::g1", "b.py::g2", "c.py::long", "a.py::one"]


def test_ties_keep_the_collection_order() -> None:
    items = [Node(f"m.py::t{i}") for i in range(5)]
    assert longest_first(items, [None] * 5, [1.0] * 5) == [0, 1, 2, 3, 4]


def test_unknown_tests_count_as_their_module_average_or_a_default() -> None:
    durations = {"e.py::a": 10.0, "e.py::b": 30.0}
    nodeids = ["e.py::a", "e.py::new", "f.py::e2e", "g.py::unit"]
    seconds = expected_seconds(nodeids, durations, e2e={"f.py::e2e"})
    assert seconds == [10.0, 20.0, DEFAULT_E2E, DEFAULT_OTHER]


def test_durations_are_read_from_a_durations_report() -> None:
    report = [
        "============ slowest durations ============",
        "72.01s call     tests/e2e/test_x.py::test_y[pin]",
        "1.50s setup    tests/e2e/test_x.py::test_y[pin]",
        "0.20s teardown tests/e2e/test_x.py::test_y[pin]",
        "0.01s call     tests/unit/test_z.py::test_w",
        "[gw1] PASSED tests/unit/test_z.py::test_w",
        "[gw2] 1.675ms PASSED tests/unit/test_z.py::test_hidden[a b]",
        # A log record that ran into the result line.
        "[gw0] [ 12%] PASSED tests/unit/test_z.py::test_also_hidden 2026-12-07 18:02:30,048 INFO",
    ]
    assert parse_durations(report) == {
        "tests/e2e/test_x.py::test_y[pin]": 73.71,
        "tests/unit/test_z.py::test_also_hidden": 0.0,
        "tests/unit/test_z.py::test_hidden[a b]": 0.0,
        "tests/unit/test_z.py::test_w": 0.01,
    }


def test_a_missing_or_broken_file_means_no_durations(tmp_path: Path) -> None:
    assert load_durations(tmp_path / "absent.json") == {}
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    assert load_durations(broken) == {}


def test_the_committed_durations_name_e2e_tests() -> None:
    durations = load_durations()
    assert any(nodeid.startswith("tests/e2e/") for nodeid in durations)
    assert all(seconds >= 0 for seconds in durations.values())


def test_waiting_and_computing_tests_are_interleaved_by_expected_seconds() -> None:
    items = [Node(n) for n in ("c1", "c2", "c3", "w1", "w2")]
    seconds = [30.0, 20.0, 10.0, 60.0, 5.0]
    waiting = [False, False, False, True, True]
    order = longest_first(items, [None] * 5, seconds, waiting)
    # w1 (60 of the waiting lane's 65 s), then computing until it has had as large a share.
    assert [items[i].nodeid for i in order] == ["w1", "c1", "c2", "c3", "w2"]


def test_each_kind_is_paced_by_its_own_total_so_both_run_out_together() -> None:
    # Four minutes of calls and twenty seconds of computing: the computing tests are spread
    # over the calls, not all handed out within the first call's twenty seconds.
    calls = [Node(f"w{i}") for i in range(4)]
    computing = [Node(f"c{i}") for i in range(4)]
    items = calls + computing
    seconds = [60.0] * 4 + [5.0] * 4
    waiting = [True] * 4 + [False] * 4
    order = longest_first(items, [None] * 8, seconds, waiting)
    assert [items[i].nodeid for i in order] == ["w0", "c0", "w1", "c1", "w2", "c2", "w3", "c3"]


def test_without_kinds_it_is_plain_longest_first() -> None:
    items = [Node(n) for n in ("a", "b", "c")]
    seconds = [1.0, 3.0, 2.0]
    assert longest_first(items, [None] * 3, seconds) == [1, 2, 0]
    assert longest_first(items, [None] * 3, seconds, [True, True, True]) == [1, 2, 0]
