"""``python -m bench webhooks`` (issue 22 item 4) runs, delivers every event and reports the
outbox's rate against both floors; ``make bench`` runs it (it is in the default set)."""

from __future__ import annotations

import re

import pytest

from bench.__main__ import BENCHMARKS, main


def test_the_webhook_bench_runs_and_reports_its_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    assert BENCHMARKS["webhooks"].in_all
    assert main(["webhooks", "--events", "20", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    for name in ("bare INSERT+commit", "bare POST loop", "outbox, write", "outbox, deliver"):
        assert re.search(rf"^{re.escape(name)} +\d+$", out, re.M), out
    assert re.search(r"^outbox deliver / bare INSERT\+commit: \d+\.\d\d$", out, re.M), out
    assert re.search(r"^outbox deliver / bare POST loop: +\d+\.\d\d$", out, re.M), out
