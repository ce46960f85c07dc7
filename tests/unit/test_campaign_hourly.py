"""Campaign attempts per local hour, for the console's chart."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dialer.report import HourResults, hourly

ZONE = ZoneInfo("Europe/Moscow")


def attempt(at: str, result: str) -> dict[str, str]:
    return {"created_at": at, "result": result}


def test_attempts_and_results_per_local_hour() -> None:
    rows = [
        attempt("2026-11-24T07:05:00+00:00", "positive"),  # 10:05 Moscow
        attempt("2026-11-24T07:59:59+00:00", "negative"),
        attempt("2026-11-24T07:30:00+00:00", ""),  # still in progress: no result yet
        attempt("2026-11-24T08:00:00+00:00", "positive"),  # 11:00 Moscow
    ]
    assert hourly(rows, ZONE) == [
        HourResults(datetime(2026, 11, 24, 10, tzinfo=ZONE), 3, 1, 1),
        HourResults(datetime(2026, 11, 24, 11, tzinfo=ZONE), 1, 1, 0),
    ]
