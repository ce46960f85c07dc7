"""0038 gives rolled queue calls their waits: the buckets rolled before it have none, so the
upgrade marks each stale (the report reads them from the events, and the job rolls them
again), keeping every row."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from hotline.store.db import Database

pytestmark = pytest.mark.migrations


async def test_buckets_rolled_before_the_waits_are_marked_stale(db: Database) -> None:
    await db.upgrade("0037_sipcap_calls_caller")
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO queue_rollup_buckets (bucket, rolled_at) VALUES "
                "(100, '2026-12-01 10:00:00'), (101, '2026-12-01 10:00:00')"
            )
        )
        await conn.execute(text("INSERT INTO queue_rollup_marks (bucket, n) VALUES (101, 3)"))
    await db.upgrade()
    async with db.engine.connect() as conn:
        buckets = (await conn.execute(text("SELECT bucket FROM queue_rollup_buckets"))).all()
        marks = (await conn.execute(text("SELECT bucket, n FROM queue_rollup_marks"))).all()
    assert sorted(b for (b,) in buckets) == [100, 101]
    assert sorted((b, n) for b, n in marks) == [(100, 1), (101, 3)]
