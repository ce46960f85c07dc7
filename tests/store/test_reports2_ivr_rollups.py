"""The IVR report read from the 15-minute roll-ups plus the not-yet-rolled tail (issue 19
item 3) equals the report computed from the call events alone (and ``ivr_stats`` over the
loaded records), on SQLite and PostgreSQL, over generated calls with edge cases: calls on
bucket boundaries and a microsecond before one, calls whose events run into later buckets
and hours, calls not ended, simulated calls, periods that start and end mid-bucket, and late
writes (an event, an outcome, a whole call) into buckets already rolled."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from hotline.calls.ivr_figures import IvrFigures, figures_from
from hotline.calls.ivr_stats import ivr_stats
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome, EventKind
from hotline.store.ivr_queries import ivr_aggregates
from hotline.store.ivr_rollups import (
    ROLL_AFTER,
    bucket_of,
    bucket_start,
    report_aggregates,
    roll_up,
)
from hotline.store.models import Call, CallEvent, IvrRollupBucket, IvrRollupMark

# Relative to the real clock: the marking triggers use the database's clock.
NOW = datetime.now(UTC)
START = bucket_start(bucket_of(NOW - timedelta(days=3)))
END = START + timedelta(hours=30)
NODES = ("main", "balance", "readings", "operator")
KINDS = (EventKind.NODE, EventKind.NODE, EventKind.DIGITS, EventKind.OUTAGE_HEARD)
OUTCOMES = (None, *CallOutcome)


def _calls(count: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    pick = random.Random(19)
    calls: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    quarter = timedelta(minutes=15)
    tick = timedelta(microseconds=1)
    edges = [START, START - tick, START + quarter, START + quarter - tick, END - tick, END]
    for i in range(count):
        started = (
            edges[i]
            if i < len(edges)
            else START
            + timedelta(seconds=pick.randrange(-1800, 30 * 3600 + 1800))
            + timedelta(microseconds=pick.randrange(0, 1_000_000, 1000))
        )
        ended = None if pick.random() < 0.15 else started + timedelta(seconds=pick.uniform(0, 900))
        call_id = f"{i:032x}"
        calls.append(
            {
                "id": call_id,
                "direction": CallDirection.INBOUND,
                "uniqueid": f"19.{i}",
                "simulated": pick.random() < 0.1,
                "started_at": started,
                "ended_at": ended,
                "outcome": pick.choice(OUTCOMES),
                "operator_reason": pick.choice((None, "", "readings", "debt")),
            }
        )
        at = started
        for _ in range(pick.choice((0, 1, 3, 6))):
            # Steps into the next bucket (and hours on), ties and steps back on purpose.
            at += timedelta(seconds=pick.choice((0, 2, 30, 600, 7200, -1)))
            kind = pick.choice(KINDS)
            value = (
                pick.choice(NODES)
                if kind is EventKind.NODE
                else pick.choice(("", "1", "2", "0"))
                if kind is EventKind.DIGITS
                else ""
            )
            events.append({"call_id": call_id, "at": at, "kind": kind.value, "value": value})
    return calls, events


def _shape(figures: IvrFigures) -> tuple[dict[str, Any], dict[str, float]]:
    """The figures (with the chart series) and, apart, the average seconds (float sums)."""
    stats = figures.stats.to_dict()
    seconds = stats.pop("average_seconds")
    starts: Counter[tuple[datetime, str]] = Counter()
    for at, exit_, count in figures.starts:
        starts[(at, exit_.value)] += count
    stats["starts"] = {k: n for k, n in starts.items() if n}
    return stats, seconds


async def _same(db: Database, start: datetime, end: datetime) -> int:
    """Roll-ups + tail == events alone, with and without simulated calls; the buckets read
    from roll-ups."""
    counts = set()
    for simulated in (False, True):
        rolled = await report_aggregates(db, start, end, include_simulated=simulated)
        raw = await ivr_aggregates(db, start, end, include_simulated=simulated)
        got, got_seconds = _shape(figures_from(rolled))
        expected, expected_seconds = _shape(figures_from(raw))
        assert got == expected
        assert got_seconds == pytest.approx(expected_seconds, abs=1e-6)
        counts.add(rolled.rolled)
    (count,) = counts
    return count


async def _roll_all(db: Database) -> None:
    while await roll_up(db, NOW, limit=500):
        pass


async def _marks(db: Database) -> set[int]:
    async with db.engine.connect() as conn:
        return set((await conn.execute(select(IvrRollupMark.bucket))).scalars())


async def test_the_report_from_rollups_equals_the_one_from_events(db: Database) -> None:
    await db.upgrade()
    calls, events = _calls(600)
    async with db.session() as session:
        await session.execute(insert(Call), calls)
        random.Random(7).shuffle(events)  # ids out of time order
        await session.execute(insert(CallEvent), events)
    await _roll_all(db)
    assert await _marks(db) == set()  # the job cleared the marks the fill wrote
    async with db.engine.connect() as conn:
        rolled = (await conn.execute(select(func.count()).select_from(IvrRollupBucket))).scalar()
    assert rolled and rolled >= 30 * 4  # every bucket from the first call to an hour ago

    # The whole period: every bucket from the roll-ups, and the oracle agrees too.
    assert await _same(db, START, END) == 30 * 4
    records = await CallLog(db).between(START, END, include_simulated=True, limit=10**6)
    oracle = ivr_stats(records, include_simulated=True)
    assert oracle.calls > 300 and oracle.abandon_points, "a poor data set"
    got = figures_from(await report_aggregates(db, START, END, include_simulated=True))
    assert got.stats.to_dict()["exits"] == oracle.to_dict()["exits"]
    assert got.stats.node_entries == oracle.node_entries
    assert got.stats.abandon_points == oracle.abandon_points
    # Periods starting and ending mid-bucket: the edges from the events.
    half = timedelta(minutes=7, seconds=30)
    assert await _same(db, START + half, END - half) == 30 * 4 - 2
    assert await _same(db, START + half, START + 2 * half) == 0
    assert await _same(db, START - timedelta(hours=2), END + timedelta(days=1)) > 0

    # Late writes into rolled buckets: an event, an outcome, a whole call.
    late = calls[10]
    async with db.session() as session:
        await session.execute(
            insert(CallEvent),
            [
                {
                    "call_id": late["id"],
                    "at": late["started_at"] + timedelta(seconds=5),
                    "kind": EventKind.NODE.value,
                    "value": "balance",
                }
            ],
        )
        await session.execute(
            update(Call)
            .where(Call.id == calls[20]["id"])
            .values(outcome=CallOutcome.ABANDONED, ended_at=calls[20]["started_at"])
        )
        moved = dict(calls[30], id="f" * 32, uniqueid="19.late", started_at=START + half)
        await session.execute(insert(Call), [moved])
        await session.execute(
            insert(CallEvent),
            [{"call_id": moved["id"], "at": START + half, "kind": "node", "value": "main"}],
        )
    marked = await _marks(db)
    assert bucket_of(late["started_at"]) in marked
    assert bucket_of(calls[20]["started_at"]) in marked
    assert bucket_of(START) in marked
    # Stale buckets are read from the events until rolled again.
    assert await _same(db, START, END) == 30 * 4 - len(marked & _inside())
    await _roll_all(db)
    assert await _marks(db) == set()
    assert await _same(db, START, END) == 30 * 4


def _inside() -> set[int]:
    return set(range(bucket_of(START), bucket_of(END)))


async def test_recent_buckets_are_not_rolled_nor_marked(db: Database) -> None:
    """Writes to calls under 15 minutes old cost no mark; the last hour is read from events."""
    await db.upgrade()
    now = datetime.now(UTC)
    call = {
        "id": "a" * 32,
        "direction": CallDirection.INBOUND,
        "uniqueid": "19.now",
        "simulated": False,
        "started_at": now - timedelta(minutes=1),
        "ended_at": None,
        "outcome": None,
        "operator_reason": None,
    }
    async with db.session() as session:
        await session.execute(insert(Call), [call])
        await session.execute(
            insert(CallEvent),
            [{"call_id": call["id"], "at": now, "kind": "node", "value": "main"}],
        )
    assert await _marks(db) == set()
    await roll_up(db, now)
    async with db.engine.connect() as conn:
        rolled = set((await conn.execute(select(IvrRollupBucket.bucket))).scalars())
    assert bucket_of(now - ROLL_AFTER) not in rolled
    assert await _same(db, now - timedelta(hours=2), now + timedelta(hours=1)) == 0
