"""The reports' roll-up jobs (issue 19 item 3), each a singleton of the engine (one worker
keeps each): the IVR report's, the queue report's and the campaign report's attempts'
15-minute buckets, all paced by the ``[rollups]`` settings."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from hotline.settings.rollups import RollupSettings
from hotline.store import attempt_rollups, ivr_rollups, queue_rollups
from hotline.store.db import Database

Job = Callable[[], Coroutine[Any, Any, None]]


def rollup_jobs(
    db: Database, clock: Callable[[], datetime], settings: RollupSettings
) -> list[tuple[str, Job]]:
    """(singleton name, job) of each roll-up."""
    return [
        ("ivr-rollups", lambda: ivr_rollups.run_rollups(db, clock, settings)),
        ("queue-rollups", lambda: queue_rollups.run_rollups(db, clock, settings)),
        ("attempt-rollups", lambda: attempt_rollups.run_rollups(db, clock, settings)),
    ]
