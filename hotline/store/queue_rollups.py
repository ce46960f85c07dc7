"""The queue report's roll-ups (issue 19 item 3): one row per queued call, kept per 15-minute
bucket of the call's start, so the report over a million queue events reads one narrow row
per queued call instead of grouping the events of every call.

Why per call and not sums per bucket: the report lists its calls (the calls over the 40-second
limit, the "Queued calls" sheet, the console's chart by local hour or day), a call's type is
the operator's disposition when there is one (written any time later, read live), and a
department's report counts its calls against its own default target; sums per bucket could
give none of these exactly.  A row holds what ``queue_queries.QueuedRow`` holds and the call's
outcome, per scope: "" (all its queues: the hotline's report) and each queue it has events in
(a department's report).

Exactness, as for the IVR roll-ups (``hotline.store.ivr_rollups``):

- the job (``roll_up``, one engine worker: a singleton) rolls a bucket ``[rollups]
  roll_after_minutes`` after it ended, with the very queries the report runs over events
  (``queue_queries.rows_to_roll``);
- any later write to a call started more than 15 minutes before, to its call events or to
  its queue events marks the call's bucket (triggers of migration 0035, in the writer's
  transaction): a marked bucket is read from the events until the job rolls it again, and
  the job clears a mark only if no write came since it read it;
- the report reads, in one snapshot, the rolled unmarked buckets wholly inside its period
  from the roll-ups and the rest from the events, and adds them up.  A rolled call counts in
  a period if its first join (any queue) falls before the period's end: its start, and so its
  first join, is inside.  A call that joined before it started (clocks apart) is rolled as
  not exact and read from its events.
"""

from __future__ import annotations

import heapq
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.settings.rollups import RollupSettings
from hotline.store.db import Database
from hotline.store.ivr_rollups import due_buckets, replace_run
from hotline.store.models import QueueRollup, QueueRollupBucket, QueueRollupMark
from hotline.store.models import QueueRollupRing as Ring
from hotline.store.queue_queries import (
    Plain,
    QueueFigures,
    event_rows,
    figures_of,
    order_key,
    period_totals,
    rows_to_roll,
)
from hotline.store.rollup_buckets import bucket_of, bucket_start, ceil_bucket, runs, uncovered
from hotline.store.types import UtcDateTime, as_utc

_DEFAULTS: Final = RollupSettings()
ALL: Final = ""  # the scope of the hotline's report: all queues
T = TypeVar("T")

_PLAIN: Final = (
    QueueRollup.call_id,
    QueueRollup.uniqueid,
    QueueRollup.joined_at,
    QueueRollup.first_key,
    QueueRollup.connect_at,
    QueueRollup.member,
    QueueRollup.talk,
    QueueRollup.callback,
    QueueRollup.last_at,
    QueueRollup.answer_target,
    QueueRollup.readings,
    QueueRollup.personal,
    QueueRollup.outcome,
    QueueRollup.ended,
)


def _rows(found: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    """The roll-up rows and ring rows of the calls ``rows_to_roll`` found."""
    per_call, rings = found
    first_join = {p.uniqueid: p.joined_at for scope, _s, _t, p in per_call if scope == ALL}
    out = []
    for scope, simulated, started, p in per_call:
        queued_at = first_join.get(p.uniqueid)
        if queued_at is None:  # never joined any queue: in no report
            continue
        exact = queued_at >= started
        if not exact and scope != ALL:
            continue
        row = p._asdict() if exact else {**p._asdict(), **_NOTHING}
        row["answer_target"] = row.pop("target")
        row["wait_us"] = _wait_us(p) if exact else None
        out.append(
            {
                **row,
                "bucket": bucket_of(started),
                "scope": scope,
                "simulated": simulated,
                "exact": exact,
                "queued_at": queued_at,
            }
        )
    kept = {r["uniqueid"]: r for r in out if r["scope"] == ALL and r["exact"]}
    ring_rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for uniqueid, queue, member, n in rings:
        call = kept.get(uniqueid)
        if call is None:
            continue
        for scope in (ALL, queue):
            key = (uniqueid, scope, member)
            if key in ring_rows:
                ring_rows[key]["n"] += n
            else:
                ring_rows[key] = {
                    "bucket": call["bucket"],
                    "scope": scope,
                    "simulated": call["simulated"],
                    "queued_at": call["queued_at"],
                    "member": member,
                    "n": n,
                }
    return out, list(ring_rows.values())


def _wait_us(p: Plain) -> int | None:
    """The wait ``kpi`` counts: from the first join to the connect, or to the last event."""
    if p.joined_at is None:
        return None
    wait = (p.connect_at or p.last_at) - p.joined_at
    return (wait.days * 86_400 + wait.seconds) * 1_000_000 + wait.microseconds


# What a not-exact row keeps: only that its call is read from its events.
_NOTHING: Final = {
    "connect_at": None,
    "member": None,
    "talk": None,
    "callback": False,
    "target": None,
    "readings": False,
    "personal": False,
}


async def _roll_run(conn: AsyncConnection, first: int, last: int, now: datetime) -> None:
    """Roll the buckets ``first..last`` in the connection's transaction."""
    inside = (QueueRollupMark.bucket >= first, QueueRollupMark.bucket <= last)
    seen = (
        await conn.execute(select(QueueRollupMark.bucket, QueueRollupMark.n).where(*inside))
    ).all()
    lo, hi = bucket_start(first), bucket_start(last + 1)
    rows, rings = _rows(await rows_to_roll(conn, lo, hi))
    fresh = {QueueRollup: rows, Ring: rings}
    await replace_run(conn, first, last, now, fresh, QueueRollupBucket, QueueRollupMark, seen)


async def roll_up(
    db: Database, now: datetime, *, settings: RollupSettings = _DEFAULTS, limit: int | None = None
) -> int:
    """One pass: roll up to ``limit`` (``settings.batch``) due buckets; how many."""
    roll_after = timedelta(minutes=settings.roll_after_minutes)
    buckets = await due_buckets(
        db, now, limit or settings.batch, roll_after, QueueRollupMark, QueueRollupBucket
    )
    for first, last in runs(buckets):
        async with db.engine.begin() as conn:
            await _roll_run(conn, first, last, now)
    return len(buckets)


async def _snapshot(conn: AsyncConnection) -> None:
    """Every read of the connection from one snapshot: the roll-ups and the events beside."""
    if conn.dialect.name == "sqlite":
        await conn.exec_driver_sql("BEGIN")  # pysqlite begins only before writes
    else:
        await conn.execution_options(isolation_level="REPEATABLE READ")


@dataclass(frozen=True)
class Parts(Generic[T]):
    """What a report reads in one snapshot: ``rolled`` (what the caller's reader made of the
    rolled rows), the rest of the period's queued calls from the events (in the report's
    order), the unanswered rings of both, the period's totals, the buckets read rolled."""

    rolled: T
    rest: list[Plain]
    rings: list[tuple[str, int]]
    totals: tuple[int, int, int]
    covered: int


# Reads the rolled rows the conditions select (of the report's scope, exact) in the snapshot.
RolledReader = Callable[[AsyncConnection, tuple[ColumnElement[bool], ...]], Awaitable[T]]


# Up to this many runs of covered buckets are given as ranges; beyond, as an IN over the
# clean buckets' query (a probe per rolled row: 0.15 s of the 250,000 rows at 1M on SQLite).
_RUNS: Final = 32


def _inside(
    bucket: Any, covered: list[int], clean: Select[Any]
) -> tuple[ColumnElement[bool], ...]:
    """``bucket`` among the ``covered`` buckets (read in this snapshot: the same set as
    ``clean``), as ranges of its runs when they are few (none beyond ``min``/``max``: one)."""
    spans = runs(covered)
    if len(spans) == 1:
        return ()
    if len(spans) > _RUNS:
        return (bucket.in_(clean),)
    return (or_(*(and_(bucket >= lo, bucket <= hi) for lo, hi in spans)),)


async def read_parts(
    db: Database,
    start: datetime,
    end: datetime,
    include_simulated: bool,
    queue: str | None,
    reader: RolledReader[T],
    nothing: T,
) -> Parts[T]:
    """The rolled, unmarked buckets wholly inside ``[start, end)`` through ``reader``
    (``nothing`` when none), and the events for the rest, in one snapshot."""
    first, last = ceil_bucket(start), bucket_of(end)  # whole buckets: [first, last)
    scope = ALL if queue is None else queue
    sim = () if include_simulated else (QueueRollup.simulated.is_(False),)
    before_end = literal(as_utc(end), UtcDateTime())
    async with db.engine.connect() as conn:
        await _snapshot(conn)
        covered: list[int] = []
        rolled = nothing
        rings: list[tuple[str, int]] = []
        also = None
        if first < last:
            b = QueueRollupBucket.bucket
            clean = select(b).where(
                b >= first,
                b < last,
                b.not_in(select(QueueRollupMark.bucket).where(QueueRollupMark.bucket >= first)),
            )
            covered = [int(x) for x in (await conn.execute(clean)).scalars()]
            if covered:
                lo, hi = min(covered), max(covered)
                r = QueueRollup
                where = (
                    r.bucket >= lo,
                    r.bucket <= hi,
                    *_inside(r.bucket, covered, clean),
                    r.queued_at < before_end,
                    *sim,
                )
                rolled = await reader(conn, (*where, r.scope == scope, r.exact.is_(True)))
                # Not exact: only a row of scope "", whatever the report's scope.
                also = select(r.call_id).where(*where, r.scope == ALL, r.exact.is_(False))
                ring_query = (
                    select(Ring.member, func.sum(Ring.n))
                    .where(
                        Ring.scope == scope,
                        Ring.bucket >= lo,
                        Ring.bucket <= hi,
                        *_inside(Ring.bucket, covered, clean),
                        Ring.queued_at < before_end,
                        *(() if include_simulated else (Ring.simulated.is_(False),)),
                    )
                    .group_by(Ring.member)
                )
                rings = [(m, int(n)) for m, n in await conn.execute(ring_query)]
        rest, rest_rings = await event_rows(
            conn,
            start,
            end,
            include_simulated,
            queue,
            ranges=uncovered(start, end, covered),
            also=also,
        )
        totals = (
            await period_totals(conn, start, end, include_simulated)
            if queue is None
            else (0, 0, 0)
        )
    return Parts(rolled, rest, rings + rest_rings, totals, len(covered))


async def _rolled_rows(
    conn: AsyncConnection, where: tuple[ColumnElement[bool], ...]
) -> list[Plain]:
    r = QueueRollup
    query = select(*_PLAIN).where(*where).order_by(r.joined_at.is_(None), r.joined_at, r.first_key)
    return [Plain._make(row) for row in await conn.execute(query)]


async def report_figures(
    db: Database,
    start: datetime,
    end: datetime,
    *,
    include_simulated: bool = False,
    queue: str | None = None,
) -> QueueFigures:
    """``queue_queries.queue_figures`` (the same figures) from the roll-ups of the rolled,
    unmarked buckets wholly inside ``[start, end)`` and the events for the rest."""
    nothing: list[Plain] = []
    parts = await read_parts(db, start, end, include_simulated, queue, _rolled_rows, nothing)
    rolled, rest = parts.rolled, parts.rest
    # Both in the report's order: merging costs a key per row, so only when both have rows.
    merged = heapq.merge(rolled, rest, key=order_key) if rolled and rest else rolled or rest
    return figures_of(merged, parts.totals, parts.rings, queue, parts.covered)
