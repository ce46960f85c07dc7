"""The IVR report computed in SQL (issue 19 item 3) gives exactly what ``ivr_stats`` over the
loaded call records gives (the oracle), on SQLite and PostgreSQL, over generated calls with
edge cases: no events, events but no node, keys before the first node, empty keys, node
events tied in time (ordered by id), events stored out of time order, a node entered after
the call ended (0 s), a call not ended (its last event ends it), every outcome and none,
operator reasons missing or empty, outages heard before the first node, simulated calls,
calls on the period's edges, days split by a 45-minute time zone."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from hotline.calls import ivr_report
from hotline.calls.ivr_figures import ivr_figures
from hotline.calls.ivr_stats import ivr_stats
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome, EventKind
from hotline.store.models import Call, CallEvent
from hotline.web.charts import Step, floor

START = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
END = START + timedelta(days=3)
NODES = ("main", "balance", "readings", "operator", "outages")
KINDS = (
    EventKind.NODE,
    EventKind.NODE,
    EventKind.DIGITS,
    EventKind.DIGITS,
    EventKind.OUTAGE_HEARD,
    EventKind.PROMPT,
)
OUTCOMES = (None, *CallOutcome)
REASONS = (None, "", "readings", "debt", "=1+1")


def _calls(seed: int, count: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    pick = random.Random(seed)
    calls: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    edges = [START, END - timedelta(microseconds=1), END, START - timedelta(microseconds=1)]
    for i in range(count):
        started = (
            edges[i]
            if i < len(edges)
            else START
            + timedelta(seconds=pick.randrange(-3600, 3 * 86400 + 3600))
            + timedelta(microseconds=pick.randrange(0, 1_000_000, 1000))
        )
        ended = None if pick.random() < 0.15 else started + timedelta(seconds=pick.uniform(0, 300))
        call_id = f"{seed:02d}{i:030x}"
        calls.append(
            {
                "id": call_id,
                "direction": CallDirection.INBOUND,
                "uniqueid": f"{seed}.{i}",
                "simulated": pick.random() < 0.1,
                "started_at": started,
                "ended_at": ended,
                "outcome": pick.choice(OUTCOMES),
                "operator_reason": pick.choice(REASONS),
            }
        )
        at = started
        for _ in range(pick.choice((0, 0, 1, 3, 6, 10))):
            # Ties (0 s) and steps back in time (stored out of order) on purpose.
            at += timedelta(milliseconds=pick.choice((0, 0, 250, 1500, 7000, -400, 400_000)))
            kind = pick.choice(KINDS)
            value = (
                pick.choice(NODES)
                if kind is EventKind.NODE
                else pick.choice(("", "1", "2", "0", "#", "12"))
                if kind is EventKind.DIGITS
                else ""
            )
            events.append({"call_id": call_id, "at": at, "kind": kind.value, "value": value})
    return calls, events


async def _fill(db: Database, seed: int, count: int) -> None:
    calls, events = _calls(seed, count)
    async with db.session() as session:
        await session.execute(insert(Call), calls)
        if events:
            pick = random.Random(seed + 1)
            pick.shuffle(events)  # ids out of time order
            await session.execute(insert(CallEvent), events)


@pytest.mark.parametrize("include_simulated", [False, True])
async def test_ivr_report_in_sql_matches_the_records(
    db: Database, include_simulated: bool
) -> None:
    await db.upgrade()
    await _fill(db, 7, 400)
    zone = ZoneInfo("Asia/Kathmandu")  # +05:45: minutes fold into days exactly
    records = await CallLog(db).between(
        START, END, include_simulated=include_simulated, limit=10**6
    )
    oracle = ivr_stats(records, include_simulated=include_simulated)
    assert oracle.calls > 100 and oracle.keys and oracle.abandon_points, "a poor data set"
    figures = await ivr_figures(db, START, END, include_simulated=include_simulated)
    got = figures.stats
    expected_dict = oracle.to_dict()
    got_dict = got.to_dict()
    assert got_dict.pop("average_seconds") == pytest.approx(expected_dict.pop("average_seconds"))
    assert got_dict == expected_dict
    # Same order too (most frequent first, ties by name).
    assert list(got.node_entries) == list(oracle.node_entries)
    for node, seconds in oracle.average_seconds.items():
        assert got.average_seconds[node] == pytest.approx(seconds, abs=1e-6)
    assert figures.by_day(zone) == ivr_report.by_day(oracle.paths, zone)
    for step in (Step.HOUR, Step.DAY):
        expected: dict[datetime, dict[str, int]] = {}
        for path in oracle.paths:
            slot = floor(path.visits[0].entered_at, zone, step)
            tally = expected.setdefault(slot, {})
            tally[path.exit.value] = tally.get(path.exit.value, 0) + 1
        tallies = figures.tallies(lambda at, step=step: floor(at, zone, step))  # type: ignore[misc]
        assert {k: {e.value: n for e, n in c.items()} for k, c in tallies.items()} == expected


async def test_an_empty_period_gives_an_empty_report(db: Database) -> None:
    await db.upgrade()
    figures = await ivr_figures(db, START, END)
    assert figures.stats.to_dict() == ivr_stats([]).to_dict()
    assert figures.by_day(ZoneInfo("Europe/Moscow")) == []
