"""The call start in dialplan keeps each call's first half (its lookups) until the second
half takes it, bounded: a caller who hangs up during the greeting never comes back, so the
oldest halves go past a count or an age, their lookups cancelled."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from ivr.menu.dialplan_start import Start, Starts


def _start(made: float | None = None) -> Start:
    loop = asyncio.get_running_loop()
    start = Start(
        cast(Any, None), "tag", "greeting", loop.create_future(), loop.create_future(), None
    )
    if made is not None:
        start.made = made
    return start


async def test_a_half_is_taken_once() -> None:
    starts = Starts()
    first = _start()
    starts.put("1.1", first)
    assert starts.take("1.1") is first
    assert starts.take("1.1") is None
    assert not first.first_time.cancelled()


async def test_the_oldest_go_past_the_count_and_the_age_with_their_lookups() -> None:
    starts = Starts(kept=2, seconds=60.0)
    halves = [_start() for _ in range(3)]
    for n, half in enumerate(halves):
        starts.put(f"1.{n}", half)
    assert len(starts) == 2 and starts.take("1.0") is None
    assert halves[0].first_time.cancelled() and halves[0].call_id.cancelled()
    stale = _start(made=0.0)  # made long ago (monotonic seconds)
    starts = Starts(kept=10, seconds=60.0)
    starts.put("2.0", stale)
    starts.put("2.1", _start())
    assert starts.take("2.0") is None and stale.emergency.cancelled()
    assert starts.take("2.1") is not None


async def test_closing_cancels_every_lookup_held() -> None:
    starts = Starts()
    halves = [_start() for _ in range(3)]
    for n, half in enumerate(halves):
        starts.put(f"3.{n}", half)
    starts.close()
    assert len(starts) == 0
    assert all(h.first_time.cancelled() and h.emergency.cancelled() for h in halves)
