"""The soak's reading of the engine's /metrics: the worst loop lag between two scrapes."""

from __future__ import annotations

from bench.soak.load import dropped_events, lag_buckets, max_lag_since


def scrape(*counts: int, dropped: int = 0) -> str:
    bounds = ("0.1", "1.0", "2.5", "+Inf")
    lines = [
        f'hotline_event_loop_lag_seconds_bucket{{le="{b}"}} {c}.0'
        for b, c in zip(bounds, counts, strict=True)
    ]
    return "\n".join([*lines, f"hotline_ami_events_dropped_total {dropped}.0"]) + "\n"


def test_the_worst_lag_between_two_scrapes_ignores_what_came_before() -> None:
    start = lag_buckets(scrape(3, 4, 5, 5))  # a slow start: one lag in (1, 2.5]
    assert start[-1] == (float("inf"), 5.0)
    quiet = lag_buckets(scrape(13, 14, 15, 15))
    assert max_lag_since(quiet, start) == 0.1
    slow = lag_buckets(scrape(13, 14, 15, 16))  # one lag beyond 2.5 s
    assert max_lag_since(slow, quiet) == float("inf")
    assert max_lag_since(quiet, quiet) is None
    assert dropped_events(scrape(1, 1, 1, 1, dropped=7)) == 7.0
