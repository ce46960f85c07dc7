"""The reports' roll-up jobs (issue 19 item 3), each a singleton of the engine (one worker
keeps each): the IVR report's, the queue report's and the campaign report's attempts'
15-minute buckets, all paced by the ``[rollups]`` settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from hotline.settings.rollups import RollupSettings
from hotline.store import attempt_rollups, ivr_rollups, queue_rollups
from hotline.store.db import Database

log = logging.getLogger(__name__)

Job = Callable[[], Coroutine[Any, Any, None]]
# One pass of a roll-up as of a moment: how many buckets it rolled.
RollPass = Callable[[datetime], Awaitable[int]]


def rollup_jobs(
    db: Database, clock: Callable[[], datetime], settings: RollupSettings
) -> list[tuple[str, Job]]:
    """(singleton name, job) of each roll-up."""
    limit, after = settings.batch, timedelta(minutes=settings.roll_after_minutes)

    def ivr(now: datetime) -> Awaitable[int]:
        return ivr_rollups.roll_up(db, now, limit=limit, roll_after=after)

    def queue(now: datetime) -> Awaitable[int]:
        return queue_rollups.roll_up(db, now, settings=settings)

    def attempts(now: datetime) -> Awaitable[int]:
        return attempt_rollups.roll_up(db, now, limit=limit, roll_after=after)

    return [
        ("ivr-rollups", lambda: keep_rolling("IVR", ivr, clock, settings)),
        ("queue-rollups", lambda: keep_rolling("queue", queue, clock, settings)),
        ("attempt-rollups", lambda: keep_rolling("attempt", attempts, clock, settings)),
    ]


async def keep_rolling(
    what: str, roll: RollPass, clock: Callable[[], datetime], settings: RollupSettings
) -> None:
    """A roll-up job: catch up (a full batch: at once again), then look every
    ``interval_seconds``.  A failed pass is logged and tried again at the next; the reports
    read the raw rows of what is not rolled meanwhile."""
    while True:
        rolled = 0
        try:
            rolled = await roll(clock())
        except Exception:
            log.exception("%s roll-up pass failed", what)
        await asyncio.sleep(0 if rolled == settings.batch else settings.interval_seconds)
