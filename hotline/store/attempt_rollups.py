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

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.settings.rollups import RollupSettings
from hotline.store.db import Database
from hotline.store.ivr_queries import _bucket
from hotline.store.ivr_rollups import due_buckets, replace_run
from hotline.store.models import (
    AttemptRollup,
    AttemptRollupBucket,
    AttemptRollupMark,
    Campaign,
    DialAttempt,
)
from hotline.store.rollup_buckets import bucket_of, bucket_start, runs, uncovered

_DEFAULTS: Final = RollupSettings()
ROLL_AFTER: Final = timedelta(minutes=_DEFAULTS.roll_after_minutes)

# (attempt number, status, reason, count): the report's per-attempt rows.
CountRow = tuple[int, str, str | None, int]
_GROUP: Final = (DialAttempt.number, DialAttempt.status, DialAttempt.reason)
# What a rolled row is counted by: the per-attempt sheet's columns and the chart's result.
_ROLLED: Final = (*_GROUP, DialAttempt.result)
_PARTS: Final = 200


async def _roll_run(conn: AsyncConnection, first: int, last: int, now: datetime) -> None:
    """Roll the buckets ``first..last`` of every campaign in the connection's transaction."""
    inside = (AttemptRollupMark.bucket >= first, AttemptRollupMark.bucket <= last)
    seen = (
        await conn.execute(select(AttemptRollupMark.bucket, AttemptRollupMark.n).where(*inside))
    ).all()
    bucket = _bucket(conn.dialect.name, DialAttempt.created_at)
    counted = await conn.execute(
        select(DialAttempt.campaign_id, bucket, *_ROLLED, func.count())
        # Every campaign's range of ix_dial_attempts_campaign_created, not the whole table.
        .where(
            DialAttempt.campaign_id.in_(select(Campaign.id)),
            DialAttempt.created_at >= bucket_start(first),
            DialAttempt.created_at < bucket_start(last + 1),
        )
        .group_by(DialAttempt.campaign_id, bucket, *_ROLLED)
    )
    rows = [
        {
            "campaign_id": campaign,
            "bucket": int(b),
            "number": number,
            "status": status,
            "reason": reason,
            "result": result,
            "count": count,
        }
        for campaign, b, number, status, reason, result, count in counted
    ]
    fresh = {AttemptRollup: rows}
    await replace_run(conn, first, last, now, fresh, AttemptRollupBucket, AttemptRollupMark, seen)


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


Rows = list[tuple[Any, ...]]
Range = tuple[datetime, datetime]


async def split(
    conn: AsyncConnection, campaign_id: int, rolled: Sequence[Any], group: Sequence[Any]
) -> tuple[Rows, list[Range]]:
    """The campaign's rolled, unmarked buckets read in one statement (one snapshot): the
    ``rolled`` columns of ``attempt_rollups`` (the first an integer; the last may be a sum)
    grouped by ``group``, and the ranges of creation time left to read from the attempts
    (``tail``)."""
    of_campaign = DialAttempt.campaign_id == campaign_id
    # Two subqueries: SQLite reads the index's ends only for a lone min() or max(), and
    # scans the campaign's whole range for both in one SELECT.
    first_at, last_at = (
        await conn.execute(
            select(
                select(func.min(DialAttempt.created_at)).where(of_campaign).scalar_subquery(),
                select(func.max(DialAttempt.created_at)).where(of_campaign).scalar_subquery(),
            )
        )
    ).one()
    if first_at is None:
        return [], []
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
            *(literal(None, column.type) for column in rolled[1:]),
        ),
        select(literal("rows"), *rolled)
        .where(r.campaign_id == campaign_id, r.bucket.in_(select(clean.c.bucket)))
        .group_by(*group),
    )
    covered: list[int] = []
    rows: Rows = []
    for kind, *values in await conn.execute(statement):
        if kind == "bucket":
            covered.append(int(values[0]))
        else:
            rows.append(tuple(values))
    return rows, uncovered(bucket_start(first), bucket_start(last + 1), covered)


async def tail(
    conn: AsyncConnection,
    campaign_id: int,
    ranges: Sequence[Range],
    columns: Sequence[Any],
    group: Sequence[Any],
) -> Rows:
    """``columns`` of the campaign's attempts created in ``ranges``, grouped by ``group``
    in each range: one indexed range per part (an OR of ranges would scan the whole
    campaign), within SQLite's limit of terms per compound SELECT."""
    rows: Rows = []
    for at in range(0, len(ranges), _PARTS):
        parts = [
            select(*columns)
            .where(
                DialAttempt.campaign_id == campaign_id,
                DialAttempt.created_at >= lo,
                DialAttempt.created_at < hi,
            )
            .group_by(*group)
            for lo, hi in ranges[at : at + _PARTS]
        ]
        rows.extend(tuple(row) for row in await conn.execute(union_all(*parts)))
    return rows


async def attempt_counts(db: Database, campaign_id: int) -> list[CountRow]:
    """The campaign's attempts counted per (number, status, reason): the rolled, unmarked
    buckets from the roll-ups, every other bucket from the attempts; the same rows as one
    GROUP BY over ``dial_attempts`` (in no particular order)."""
    r = AttemptRollup
    totals: Counter[tuple[int, str, str | None]] = Counter()
    async with db.engine.connect() as conn:
        group = (r.number, r.status, r.reason)
        rolled, ranges = await split(conn, campaign_id, (*group, func.sum(r.count)), group)
        rest = await tail(conn, campaign_id, ranges, (*_GROUP, func.count()), _GROUP)
    for number, status, reason, count in (*rolled, *rest):
        totals[(int(number), status, reason)] += int(count)
    return [(n, s, r, c) for (n, s, r), c in totals.items() if c]


async def attempt_buckets(db: Database, campaign_id: int, minute: Any) -> Rows:
    """(moment, result, attempts) rows for the hourly chart: the rolled buckets' counts at
    their start, the rest per ``minute`` (the caller's expression of a UTC minute over
    ``dial_attempts.created_at``).  A quarter-hour lies within one local hour of every
    zone (all offsets are whole quarter-hours, ``rollup_buckets``), so both fold into local
    hours exactly."""
    r = AttemptRollup
    async with db.engine.connect() as conn:
        group = (r.bucket, r.result)
        rolled, ranges = await split(conn, campaign_id, (*group, func.sum(r.count)), group)
        rows: Rows = [(bucket_start(int(b)), result, int(n)) for b, result, n in rolled]
        group = (minute, DialAttempt.result)
        rows.extend(await tail(conn, campaign_id, ranges, (*group, func.count()), group))
    return rows
