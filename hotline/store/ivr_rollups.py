"""The IVR report's roll-ups (issue 19 item 3): its aggregate kept per 15-minute bucket of the
calls' start, so a report over a million call events reads a few rows per bucket plus the
events of the buckets not rolled yet (the period's partial edges, the last hour, buckets
written to since they were rolled).

Exactness: a bucket's figures depend on every event of every call started in it, so:

- the job (``roll_up``, one engine worker runs it: a singleton) rolls a bucket only an hour
  after it ended (``ROLL_AFTER``), computing its rows with the very query the report runs
  over events (``ivr_queries.bucket_rows``: the same aggregate, grouped also by bucket and by
  simulated or not, since every figure is a sum over calls);
- any later write to a call started more than 15 minutes before, or to its events, marks the
  call's bucket (triggers of migration 0031, in the writer's own transaction): a marked
  bucket is read from the events until the job rolls it again.  The job clears a mark only
  if its write count is still the one it read before computing (a write meanwhile keeps it);
- the report reads which buckets are rolled and unmarked, and their rows, in one statement
  (one snapshot), and everything else of the period from the events.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    case,
    cast,
    delete,
    extract,
    func,
    insert,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.settings.rollups import RollupSettings
from hotline.store.db import Database
from hotline.store.ivr_queries import (
    AggregateRow,
    IvrAggregates,
    aggregate_rows,
    aggregates_from,
    bucket_rows,
)
from hotline.store.models import Call, IvrRollup, IvrRollupBucket, IvrRollupMark
from hotline.store.rollup_buckets import (
    Slots,
    bucket_of,
    bucket_start,
    ceil_bucket,
    offsets,
    runs,
    uncovered,
)

# A bucket is rolled ``[rollups] roll_after_minutes`` after its end (60): its calls are over
# by then (a call's later writes mark the bucket; the triggers mark calls started over 15
# minutes before, so a writer's transaction may lag the job by up to 45 minutes and still be
# seen).  ``batch`` buckets per transaction (the job yields between them), a look every
# ``interval_seconds``.
_DEFAULTS: Final = RollupSettings()
ROLL_AFTER: Final = timedelta(minutes=_DEFAULTS.roll_after_minutes)
BATCH: Final = _DEFAULTS.batch


async def _roll_run(conn: AsyncConnection, first: int, last: int, now: datetime) -> None:
    """Roll the buckets ``first..last`` in the connection's transaction: one aggregate over
    their calls' events, grouped by bucket."""
    inside = (IvrRollupMark.bucket >= first, IvrRollupMark.bucket <= last)
    seen = (await conn.execute(select(IvrRollupMark.bucket, IvrRollupMark.n).where(*inside))).all()
    rows = [
        {
            "bucket": bucket,
            "simulated": simulated,
            "section": section,
            "a": a,
            "b": b,
            "c": c,
            "count": count,
            "seconds": spent,
        }
        for bucket, simulated, section, a, b, c, count, spent in await bucket_rows(
            conn, bucket_start(first), bucket_start(last + 1)
        )
    ]
    fresh = {IvrRollup: rows}
    await replace_run(conn, first, last, now, fresh, IvrRollupBucket, IvrRollupMark, seen)


async def replace_run(
    conn: AsyncConnection,
    first: int,
    last: int,
    now: datetime,
    fresh: dict[Any, list[dict[str, Any]]],
    rolled: Any,
    marks: Any,
    seen: Iterable[tuple[int, int]],
) -> None:
    """Store a roll-up's run ``first..last`` in the connection's transaction (every roll-up's
    last step): its ``fresh`` rows per table replace the run's old ones, the buckets are marked
    rolled at ``now``, and the marks ``seen`` (bucket, n) before the rows were read are cleared;
    a write since then left a newer mark, which keeps its bucket stale."""
    for table in (*fresh, rolled):
        await conn.execute(delete(table).where(table.bucket >= first, table.bucket <= last))
    for table, rows in fresh.items():
        if rows:
            await conn.execute(insert(table), rows)
    await conn.execute(
        insert(rolled), [{"bucket": b, "rolled_at": now} for b in range(first, last + 1)]
    )
    for bucket, n in seen:
        await conn.execute(delete(marks).where(marks.bucket == bucket, marks.n == n))


async def due_buckets(
    db: Database,
    now: datetime,
    limit: int,
    roll_after: timedelta = ROLL_AFTER,
    marks: Any = IvrRollupMark,
    rolled: Any = IvrRollupBucket,
    first_at: Any = Call.started_at,
) -> list[int]:
    """Buckets to roll, oldest first: marked ones and never-rolled ones with calls, ended
    ``roll_after`` before ``now``.  ``marks``/``rolled``: the roll-up's mark and bucket models
    (the IVR's by default; the queue roll-ups pass theirs); ``first_at``: the column whose
    earliest value is the first bucket (the attempts' roll-ups pass theirs)."""
    last = bucket_of(now - roll_after) - 1  # the last bucket ended ROLL_AFTER ago
    async with db.engine.connect() as conn:
        marked = (
            await conn.execute(
                select(marks.bucket)
                .where(marks.bucket <= last)
                .order_by(marks.bucket)
                .limit(limit)
            )
        ).scalars()
        due = set(marked)
        rolled_to = (await conn.execute(select(func.max(rolled.bucket)))).scalar()
        first_call = (await conn.execute(select(func.min(first_at)))).scalar()
        if first_call is not None:
            first = bucket_of(first_call)
            if rolled_to is not None:
                first = max(first, int(rolled_to) + 1)
            due.update(range(first, min(last, first + limit - 1) + 1))
    return sorted(due)[:limit]


async def roll_up(
    db: Database, now: datetime, *, limit: int = BATCH, roll_after: timedelta = ROLL_AFTER
) -> int:
    """One pass: roll up to ``limit`` due buckets, one transaction each; how many."""
    buckets = await due_buckets(db, now, limit, roll_after)
    for first, last in runs(buckets):
        async with db.engine.begin() as conn:
            await _roll_run(conn, first, last, now)
    return len(buckets)


def _epoch(dialect: str, quarter: Any) -> ColumnElement[int]:
    """The UTC epoch second of a "start" row's quarter-hour text (``ivr_queries._quarter``:
    SQLite "YYYY-MM-DD HH:MM" in UTC; PostgreSQL a timestamptz as text, with its offset)."""
    if dialect == "sqlite":
        return cast(func.strftime(literal_column("'%s'"), quarter), BigInteger)
    return cast(extract("epoch", cast(quarter, DateTime(timezone=True))), BigInteger)


def _starts_by_slot(dialect: str, slots: Slots, start: datetime, end: datetime) -> Any:
    """The rolled "start" rows summed per local slot (hour or day of ``slots.zone``) and
    outcome, each slot's earliest quarter-hour standing for it: the chart and the days fold
    a slot's quarter-hours into one anyway, and a month has 2,976 of them per outcome.
    A quarter's slot is its local time's (UTC plus the offset then, ``offsets``) hour or
    day; the offset is grouped on too, so an hour lived twice (clocks back) stays two rows,
    each folded by the caller as before."""
    r = IvrRollup
    epoch = _epoch(dialect, r.a)
    changes = offsets(slots.zone, start, end)
    offset: ColumnElement[int] = literal(changes[-1][1], BigInteger)
    if len(changes) > 1:
        offset = case(
            *(
                (epoch < changes[i + 1][0], literal(o, BigInteger))
                for i, (_t, o) in enumerate(changes[:-1])
            ),
            else_=literal(changes[-1][1], BigInteger),
        )
    slot = (epoch + offset) // literal(slots.seconds, BigInteger)
    return (
        select(
            literal("rows"),
            literal(0, r.bucket.type),
            literal("start"),
            func.min(r.a),
            r.b,
            literal(None, r.c.type),
            func.sum(r.count),
            func.sum(r.seconds),
        )
        .where(r.section == "start")
        .group_by(slot, offset, r.b)
    )


async def report_aggregates(
    db: Database,
    start: datetime,
    end: datetime,
    *,
    include_simulated: bool = False,
    slots: Slots | None = None,
) -> IvrAggregates:
    """The IVR aggregate over calls started in ``[start, end)``: the rolled, unmarked
    buckets wholly inside the period from the roll-ups, the rest from the events.
    ``slots``: the rolled chart series summed in SQL per local hour or day (``starts``
    then holds one moment per slot and outcome for them, which ``IvrFigures`` folds
    exactly as the quarter-hours)."""
    first, last = ceil_bucket(start), bucket_of(end)  # whole buckets: [first, last)
    rows: list[AggregateRow] = []
    covered: list[int] = []
    async with db.engine.connect() as conn:
        if first < last:
            clean = (
                select(IvrRollupBucket.bucket)
                .where(
                    IvrRollupBucket.bucket >= first,
                    IvrRollupBucket.bucket < last,
                    IvrRollupBucket.bucket.not_in(
                        select(IvrRollupMark.bucket).where(
                            IvrRollupMark.bucket >= first, IvrRollupMark.bucket < last
                        )
                    ),
                )
                .cte("clean")
            )
            r = IvrRollup
            nothing = literal(None, r.a.type)
            inside = (
                r.bucket.in_(select(clean.c.bucket)),
                *(() if include_simulated else (r.simulated.is_(False),)),
            )
            series = (
                ()
                if slots is None
                else (_starts_by_slot(conn.dialect.name, slots, start, end).where(*inside),)
            )
            statement = union_all(
                select(
                    literal("bucket"),
                    clean.c.bucket,
                    *(nothing,) * 4,
                    literal(None, r.count.type),
                    literal(None, r.seconds.type),
                ),
                select(
                    literal("rows"),
                    literal(0, r.bucket.type),
                    r.section,
                    r.a,
                    r.b,
                    r.c,
                    func.sum(r.count),
                    func.sum(r.seconds),
                )
                .where(*inside, *(() if slots is None else (r.section != "start",)))
                .group_by(r.section, r.a, r.b, r.c),
                *series,
            )
            for kind, bucket, section, a, b, c, *sums in await conn.execute(statement):
                if kind == "bucket":
                    covered.append(int(bucket))
                else:
                    count, spent = sums
                    rows.append((section, a, b, c, int(count), float(spent or 0.0)))
        for lo, hi in uncovered(start, end, covered):
            rows.extend(await aggregate_rows(conn, lo, hi, include_simulated=include_simulated))
    return aggregates_from(rows, rolled=len(covered))
