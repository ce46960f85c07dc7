"""The one loop every roll-up job runs (``keep_rolling``; the IVR, queue and attempt roll-ups
each had their own copy): a failed pass is logged and tried again after the interval, a full
batch is followed at once (still catching up), a short one waits the interval."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from hotline.settings.rollups import RollupSettings
from hotline.store.rollup_jobs import keep_rolling

NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
BOUND = 30.0  # generous: a loaded machine waits, a missing pass fails


async def test_a_failed_pass_is_logged_and_tried_again_and_a_full_batch_goes_on_at_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = RollupSettings(batch=5, interval_seconds=0.05)
    passes: list[datetime] = []
    outcomes: list[int | Exception] = [RuntimeError("store away"), 5, 5, 2]
    done = asyncio.Event()
    sleeps: list[float] = []
    real_sleep = asyncio.sleep

    async def roll(now: datetime) -> int:
        passes.append(now)
        outcome = outcomes.pop(0)
        if not outcomes:
            done.set()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def recorded_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        await real_sleep(seconds)

    caplog.set_level(logging.ERROR, logger="hotline.store.rollup_jobs")
    monkeypatch.setattr("hotline.store.rollup_jobs.asyncio.sleep", recorded_sleep)
    job = asyncio.create_task(keep_rolling("IVR", roll, lambda: NOW, settings))
    try:
        await asyncio.wait_for(done.wait(), BOUND)
    finally:
        job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    assert passes == [NOW] * 4
    # After the failure and after the short batch: the interval; after each full one: none.
    assert sleeps[:4] == [0.05, 0, 0, 0.05]
    assert [r.getMessage() for r in caplog.records] == ["IVR roll-up pass failed"]
