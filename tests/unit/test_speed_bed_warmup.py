"""Issue 19 item 5: the controller of an xdist session builds the end-to-end bed while its
workers start, when the session may run end-to-end tests (tests/bed_warmup.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bed_warmup import wants_bed

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["tests"],
        ["."],
        ["tests/e2e"],
        ["tests/unit", "tests/security/test_logs.py::test_a_call"],
        ["tests/e2e/test_calls.py::test_silent_caller_reaches_an_operator"],
    ],
)
def test_a_session_that_may_run_end_to_end_tests_warms_the_bed(args: list[str]) -> None:
    assert wants_bed(args, ROOT, ROOT)


@pytest.mark.parametrize(
    "args", [["tests/unit"], ["tests/store", "tests/web"], ["tests/unit/test_hours.py::test_x"]]
)
def test_a_session_without_them_builds_nothing(args: list[str]) -> None:
    assert not wants_bed(args, ROOT, ROOT)


def test_arguments_count_from_where_pytest_was_started() -> None:
    tests = ROOT / "tests"
    assert wants_bed(["e2e/test_calls.py"], ROOT, tests)
    assert wants_bed(["."], ROOT, tests)  # the whole tests folder
    assert not wants_bed(["unit"], ROOT, tests)
