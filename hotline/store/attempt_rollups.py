"""The campaign report's roll-ups (issue 19 item 3): its per-attempt counts (attempt number,
status, reason) kept per campaign and 15-minute bucket of the attempts' creation, so the report
over a million attempts sums a few rows per bucket instead of grouping every attempt.

Why roll-ups and not a better index: the counts already read a covering index
(``ix_dial_attempts_report``), and any query that visits each attempt once stays O(attempts):
1M index entries grouped took 1.56 s on SQLite under load 14-18, and a loose index scan
counting each group's range (the floor of that approach, ``count(*)`` over the campaign's
range) only 1.3-2x less.  Exactness follows the IVR roll-ups (``hotline.store.ivr_rollups``):

- the job (``roll_up``, a singleton of the engine) rolls a bucket ``[rollups]
  roll_after_minutes`` after it ended, with the very grouping the report runs over attempts;
- any later write to an attempt created more than 15 minutes before (its campaign, creation
  time, number, status or reason; an insert; a delete) marks its bucket (triggers of migration
  0041, in the writer's own transaction): a marked bucket is read from the attempts until the
  job rolls it again, and the job clears a mark only if no write came since it read it;
- the report reads which buckets are rolled and unmarked, and their sums, in one statement
  (one snapshot), and the campaign's attempts of every other bucket from ``dial_attempts``
  (by ``ix_dial_attempts_campaign_created``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, func, insert, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.settings.rollups import RollupSettings
from hotline.store.db import Database
from hotline.store.ivr_queries import _bucket
from hotline.store.ivr_rollups import due_buckets
from hotline.store.models import (
    AttemptRollup,
    AttemptRollupBucket,
    AttemptRollupMark,
    Campaign,
    DialAttempt,
)
from hotline.store.rollup_buckets import bucket_of, bucket_start, runs, uncovered

log = logging.getLogger(__name__)

_DEFAULTS: Final = RollupSettings()
ROLL_AFTER: Final = timedelta(minutes=_DEFAULTS.roll_after_minutes)

# (attempt number, status, reason, count): the report's per-attempt rows.
CountRow = tuple[int, str, str | None, int]
_GROUP: Final = (DialAttempt.number, DialAttempt.status, DialAttempt.reason)
_PARTS: Final = 200


async def _roll_run(conn: AsyncConnection, first: int, last: int, now: datetime) -> None:
    """Roll the buckets ``first..last`` of every campaign in the connection's transaction."""
    inside = (AttemptRollupMark.bucket >= first, AttemptRollupMark.bucket <= last)
    seen = (
        await conn.execute(select(AttemptRollupMark.bucket, AttemptRollupMark.n).where(*inside))
    ).all()
    bucket = _bucket(conn.dialect.name, DialAttempt.created_at)
    counted = await conn.execute(
        select(DialAttempt.campaign_id, bucket, *_GROUP, func.count())
        # Every campaign's range of ix_dial_attempts_campaign_created, not the whole table.
        .where(
            DialAttempt.campaign_id.in_(select(Campaign.id)),
            DialAttempt.created_at >= bucket_start(first),
            DialAttempt.created_at < bucket_start(last + 1),
        )
        .group_by(DialAttempt.campaign_id, bucket, *_GROUP)
    )
    rows = [
        {
            "campaign_id": campaign,
            "bucket": int(b),
            "number": number,
            "status": status,
            "reason": reason,
            "count": count,
        }
        for campaign, b, number, status, reason, count in counted
    ]
    await conn.execute(
        delete(AttemptRollup).where(AttemptRollup.bucket >= first, AttemptRollup.bucket <= last)
    )
    if rows:
        await conn.execute(insert(AttemptRollup), rows)
    await conn.execute(
        delete(AttemptRollupBucket).where(
            AttemptRollupBucket.bucket >= first, AttemptRollupBucket.bucket <= last
        )
    )
    await conn.execute(
        insert(AttemptRollupBucket),
        [{"bucket": b, "rolled_at": now} for b in range(first, last + 1)],
    )
    for marked, n in seen:  # a write since it was read keeps the mark (and the bucket stale)
        await conn.execute(
            delete(AttemptRollupMark).where(
                AttemptRollupMark.bucket == marked, AttemptRollupMark.n == n
            )
        )


async def roll_up(
    db: Database,
    now: datetime,
    *,
    limit: int = _DEFAULTS.batch,
    roll_after: timedelta = ROLL_AFTER,
) -> int:
    """One pass: roll up to ``limit`` due buckets, one transaction per run of them; how
    many."""
    buckets = await due_buckets(
        db,
        now,
        limit,
        roll_after,
        marks=AttemptRollupMark,
        rolled=AttemptRollupBucket,
        first_at=DialAttempt.created_at,
    )
    for first, last in runs(buckets):
        async with db.engine.begin() as conn:
            await _roll_run(conn, first, last, now)
    return len(buckets)


async def run_rollups(
    db: Database, clock: Callable[[], datetime], settings: RollupSettings = _DEFAULTS
) -> None:
    """The roll-up job (a singleton): catch up, then look again every few minutes."""
    roll_after = timedelta(minutes=settings.roll_after_minutes)
    while True:
        rolled = 0
        try:
            rolled = await roll_up(db, clock(), limit=settings.batch, roll_after=roll_after)
        except Exception:  # the next pass tries again; the report reads attempts meanwhile
            log.exception("attempt roll-up pass failed")
        await asyncio.sleep(0 if rolled == settings.batch else settings.interval_seconds)


async def attempt_counts(db: Database, campaign_id: int) -> list[CountRow]:
    """The campaign's attempts counted per (number, status, reason): the rolled, unmarked
    buckets from the roll-ups, every other bucket from the attempts; the same rows as one
    GROUP BY over ``dial_attempts`` (in no particular order)."""
    of_campaign = DialAttempt.campaign_id == campaign_id
    totals: Counter[tuple[int, str, str | None]] = Counter()
    async with db.engine.connect() as conn:
        first_at, last_at = (
            await conn.execute(
                select(func.min(DialAttempt.created_at), func.max(DialAttempt.created_at)).where(
                    of_campaign
                )
            )
        ).one()
        if first_at is None:
            return []
        first, last = bucket_of(first_at), bucket_of(last_at)
        clean = (
            select(AttemptRollupBucket.bucket)
            .where(
                AttemptRollupBucket.bucket >= first,
                AttemptRollupBucket.bucket <= last,
                AttemptRollupBucket.bucket.not_in(
                    select(AttemptRollupMark.bucket).where(
                        AttemptRollupMark.bucket >= first, AttemptRollupMark.bucket <= last
                    )
                ),
            )
            .cte("clean")
        )
        r = AttemptRollup
        statement = union_all(
            select(
                literal("bucket"),
                clean.c.bucket,
                literal(None, r.status.type),
                literal(None, r.reason.type),
                literal(None, r.count.type),
            ),
            select(literal("rows"), r.number, r.status, r.reason, func.sum(r.count))
            .where(r.campaign_id == campaign_id, r.bucket.in_(select(clean.c.bucket)))
            .group_by(r.number, r.status, r.reason),
        )
        covered: list[int] = []
        for kind, number, status, reason, count in await conn.execute(statement):
            if kind == "bucket":
                covered.append(int(number))
            else:
                totals[(int(number), status, reason)] += int(count)
        ranges = uncovered(bucket_start(first), bucket_start(last + 1), covered)
        # One indexed range per part (an OR of ranges would scan the whole campaign), within
        # SQLite's limit of terms per compound SELECT.
        for at in range(0, len(ranges), _PARTS):
            parts = [
                select(*_GROUP, func.count())
                .where(of_campaign, DialAttempt.created_at >= lo, DialAttempt.created_at < hi)
                .group_by(*_GROUP)
                for lo, hi in ranges[at : at + _PARTS]
            ]
            for number, status, reason, count in await conn.execute(union_all(*parts)):
                totals[(int(number), status, reason)] += int(count)
    return [(n, s, r, c) for (n, s, r), c in totals.items() if c]
