"""The queue report read from the roll-ups plus the events of the rest (issue 19 item 3)
equals the report from the events alone (``queue_queries.queue_figures``), on SQLite and
PostgreSQL, for the whole hotline and a department, with and without simulated calls, over
generated calls with edge cases: calls on bucket boundaries and a microsecond before them,
queue events running into later buckets and days, calls that joined after the period's end
or before they started (clocks apart), calls not ended and callers still waiting, callback
requests, abandons, overflow re-queues, transfers (events in two queues), unanswered rings
(by nobody, by ""), answer targets in digits or not, readings and personal calls, simulated
and outbound calls, queue events of calls the log does not have, periods starting and ending
mid-bucket; then late writes into rolled buckets (a connect, a callback request, an outcome,
a call event, a deleted queue event, a whole call with its queue events)."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update

from hotline.settings import RollupSettings
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome, EventKind, QueueEventKind
from hotline.store.ivr_rollups import bucket_of, bucket_start
from hotline.store.models import Call, CallEvent, QueueEvent, QueueRollup, QueueRollupMark
from hotline.store.queue_queries import QueueFigures, queue_figures
from hotline.store.queue_rollups import report_figures, roll_up

# Relative to the real clock: the marking triggers use the database's clock.
NOW = datetime.now(UTC)
START = bucket_start(bucket_of(NOW - timedelta(days=3)))
END = START + timedelta(hours=30)
HALF = timedelta(minutes=7, seconds=30)
TICK = timedelta(microseconds=1)
QUEUES = ("hotline-operators", "hotline-operators", "hotline-dispatcher")
DISPATCHER = "hotline-dispatcher"
OPERATORS = ("anna", "boris", "vera")
K = QueueEventKind
SCRIPTS: tuple[list[QueueEventKind], ...] = (
    [K.JOIN, K.CONNECT, K.COMPLETE],  # answered
    [K.JOIN, K.RING_NO_ANSWER, K.CONNECT, K.COMPLETE],
    [K.JOIN, K.ABANDON],  # hung up waiting
    [K.JOIN, K.TIMEOUT, K.JOIN, K.LEAVE],  # overflow, re-queued
    [K.JOIN, K.TIMEOUT, K.CALLBACK],  # callback request
    [K.JOIN, K.CALLBACK, K.CONNECT],  # callback, then answered
    [K.JOIN, K.CONNECT, K.CONNECT, K.COMPLETE],
    [K.JOIN, K.RING_NO_ANSWER, K.RING_NO_ANSWER, K.ABANDON],
    [K.JOIN],  # still waiting
    [K.RING_NO_ANSWER],  # events, never joined
)


def _qe(
    pick: random.Random, at: datetime, kind: QueueEventKind, uniqueid: str, queue: str
) -> dict[str, Any]:
    member = None
    if kind in (K.CONNECT, K.COMPLETE):
        member = pick.choice(OPERATORS)
    elif kind is K.RING_NO_ANSWER:
        member = pick.choice((*OPERATORS, None, ""))
    return {"at": at, "kind": kind, "uniqueid": uniqueid, "queue": queue, "member": member}


def _data(count: int) -> dict[str, list[dict[str, Any]]]:
    pick = random.Random(35)
    out: dict[str, list[dict[str, Any]]] = {"calls": [], "events": [], "queue": []}
    quarter = timedelta(minutes=15)
    edges = [START, START - TICK, START + quarter, START + quarter - TICK, END - TICK, END]
    for i in range(count):
        started = (
            edges[i]
            if i < len(edges)
            else START
            + timedelta(seconds=pick.randrange(-3600, 30 * 3600 + 3600))
            + timedelta(microseconds=pick.randrange(0, 1_000_000, 1000))
        )
        call_id, uniqueid = f"35{i:030x}", f"35.{i}"
        out["calls"].append(
            {
                "id": call_id,
                "direction": CallDirection.OUTBOUND if i % 29 == 7 else CallDirection.INBOUND,
                "uniqueid": uniqueid,
                "simulated": pick.random() < 0.1,
                "started_at": started,
                "ended_at": None if pick.random() < 0.1 else started + timedelta(seconds=900),
                "outcome": pick.choice((None, *CallOutcome)),
                "operator_reason": pick.choice((None, "", "Readings", "debt")),
            }
        )
        for _ in range(pick.choice((0, 1, 2))):
            kind, value = pick.choice(
                (
                    (EventKind.ANSWER_TARGET, "40"),
                    (EventKind.ANSWER_TARGET, "180"),
                    (EventKind.ANSWER_TARGET, "soon"),
                    (EventKind.NODE, "readings_menu"),
                    (EventKind.ACCOUNT, "by caller id"),
                )
            )
            out["events"].append(
                {"call_id": call_id, "at": started, "kind": kind.value, "value": value}
            )
        _queue_events(pick, out["queue"], uniqueid, started)
    _queue_events(pick, out["queue"], "ghost.35", START + timedelta(hours=1))
    # Started on the period's first instant, joined a second before (clocks apart): not in
    # the period, though its bucket is.
    early = dict(out["calls"][7], id="e" * 32, uniqueid="35.early", started_at=START)
    out["calls"].append(early | {"direction": CallDirection.INBOUND, "simulated": False})
    for seconds, kind in ((-1, K.JOIN), (5, K.CONNECT)):
        at = START + timedelta(seconds=seconds)
        out["queue"].append(_qe(pick, at, kind, "35.early", DISPATCHER))
    return out


def _queue_events(
    pick: random.Random, rows: list[dict[str, Any]], uniqueid: str, started: datetime
) -> None:
    if pick.random() < 0.2:
        return  # never queued
    queue = pick.choice(QUEUES)
    # Joined right away, a second before it started (clocks apart), or much later.
    at = started + timedelta(seconds=pick.choice((0, 3, 20, -1, 1800)))
    for kind in pick.choice(SCRIPTS):
        if kind is K.COMPLETE and pick.random() < 0.3:
            queue = pick.choice(QUEUES)  # transferred: the rest in another queue
        rows.append(_qe(pick, at, kind, uniqueid, queue))
        at += timedelta(seconds=pick.choice((0, 1.5, 12, 41, 200, 900, 86400)))


async def _fill(db: Database, data: dict[str, list[dict[str, Any]]]) -> None:
    pick = random.Random(36)
    queue_rows = list(data["queue"])
    pick.shuffle(queue_rows)  # ids out of time order
    for row in queue_rows:
        row["talk"] = pick.choice((None, 0, 35, 130, 310)) if row["kind"] is K.COMPLETE else None
    async with db.session() as session:
        await session.execute(insert(Call), data["calls"])
        if data["events"]:
            await session.execute(insert(CallEvent), data["events"])
        await session.execute(insert(QueueEvent), queue_rows)


def _plain(figures: QueueFigures) -> QueueFigures:
    return dataclasses.replace(figures, call_ids=sorted(figures.call_ids), rolled=0)


async def _same(db: Database, start: datetime, end: datetime) -> int:
    """Roll-ups + rest == events alone for every report kind; the buckets read rolled."""
    counts = set()
    for simulated in (False, True):
        for queue in (None, DISPATCHER):
            got = await report_figures(db, start, end, include_simulated=simulated, queue=queue)
            raw = await queue_figures(db, start, end, include_simulated=simulated, queue=queue)
            assert _plain(got) == _plain(raw), (start, end, simulated, queue)
            counts.add(got.rolled)
    (count,) = counts
    return count


async def _roll_all(db: Database) -> None:
    while await roll_up(db, NOW, limit=500):
        pass


async def _marks(db: Database) -> set[int]:
    async with db.engine.connect() as conn:
        return set((await conn.execute(select(QueueRollupMark.bucket))).scalars())


def _inside() -> set[int]:
    return set(range(bucket_of(START), bucket_of(END)))


async def test_the_queue_report_from_rollups_equals_the_one_from_events(db: Database) -> None:
    await db.upgrade()
    data = _data(450)
    await _fill(db, data)
    whole = await queue_figures(db, START, END, include_simulated=True)
    assert len(whole.calls) > 200 and whole.ring_no_answer and whole.ivr_hangups, "poor data"
    assert any(c.callback for c in whole.calls) and any(c.talk for c in whole.calls)
    dispatcher = await queue_figures(db, START, END, queue=DISPATCHER)
    assert len(dispatcher.call_ids) > len(dispatcher.calls) > 20, "no transfers"
    await _roll_all(db)
    assert await _marks(db) == set()  # the job cleared the marks the fill wrote
    async with db.engine.connect() as conn:
        kinds = (await conn.execute(select(QueueRollup.scope, QueueRollup.exact))).all()
    assert {(scope == "", bool(exact)) for scope, exact in kinds} == {
        (True, True),
        (True, False),  # joined before it started: read from its events
        (False, True),
    }

    assert await _same(db, START, END) == 30 * 4
    assert await _same(db, START + HALF, END - HALF) == 30 * 4 - 2
    assert await _same(db, START + HALF, START + 2 * HALF) == 0
    assert await _same(db, START - timedelta(hours=2), END + timedelta(days=1)) > 30 * 4

    # Late writes into rolled buckets.
    calls = [c for c in data["calls"] if START <= c["started_at"] < END - timedelta(hours=1)]
    joined = {q["uniqueid"] for q in data["queue"] if q["kind"] is K.JOIN}
    dropped = [c for c in calls if c["uniqueid"] in joined][70]
    waiting = calls[40]
    async with db.session() as session:
        await session.execute(
            insert(QueueEvent),
            [
                {
                    "at": waiting["started_at"] + timedelta(seconds=30),
                    "kind": kind,
                    "uniqueid": uniqueid,
                    "queue": DISPATCHER,
                    "member": "vera" if kind is K.CONNECT else None,
                    "talk": None,
                }
                for kind, uniqueid in (
                    (K.CONNECT, waiting["uniqueid"]),
                    (K.CALLBACK, calls[41]["uniqueid"]),
                    (K.JOIN, calls[42]["uniqueid"]),
                )
            ],
        )
        await session.execute(
            update(Call)
            .where(Call.id == calls[50]["id"])
            .values(outcome=CallOutcome.COMPLETED, ended_at=calls[50]["started_at"])
        )
        await session.execute(
            insert(CallEvent),
            [
                {
                    "call_id": calls[60]["id"],
                    "at": calls[60]["started_at"],
                    "kind": EventKind.ACCOUNT.value,
                    "value": "late",
                }
            ],
        )
        await session.execute(
            delete(QueueEvent).where(
                QueueEvent.uniqueid == dropped["uniqueid"], QueueEvent.kind == K.JOIN
            )
        )
        moved = dict(
            calls[80], id="f" * 32, uniqueid="35.late", started_at=START + HALF, simulated=False
        )
        await session.execute(insert(Call), [moved])
        await session.execute(
            insert(QueueEvent),
            [
                {
                    "at": START + HALF + timedelta(seconds=s),
                    "kind": kind,
                    "uniqueid": "35.late",
                    "queue": DISPATCHER,
                    "member": "anna",
                    "talk": None,
                }
                for s, kind in ((1, K.JOIN), (50, K.RING_NO_ANSWER), (60, K.CONNECT))
            ],
        )
    marked = await _marks(db)
    late = {calls[i]["started_at"] for i in (40, 41, 42, 50, 60)} | {START, dropped["started_at"]}
    assert {bucket_of(at) for at in late} <= marked
    # Stale buckets are read from the events until rolled again.
    assert await _same(db, START, END) == 30 * 4 - len(marked & _inside())
    await _roll_all(db)
    assert await _marks(db) == set()
    assert await _same(db, START, END) == 30 * 4
    got = await report_figures(db, START, END, queue=DISPATCHER)
    assert "35.late" in {c.uniqueid for c in got.calls}


async def test_recent_calls_are_read_from_events(db: Database) -> None:
    """A call under the roll delay is not rolled; its writes cost no mark."""
    await db.upgrade()
    now = datetime.now(UTC)
    call = {
        "id": "a" * 32,
        "direction": CallDirection.INBOUND,
        "uniqueid": "35.now",
        "simulated": False,
        "started_at": now - timedelta(minutes=1),
        "ended_at": None,
        "outcome": None,
        "operator_reason": None,
    }
    async with db.session() as session:
        await session.execute(insert(Call), [call])
        await session.execute(
            insert(QueueEvent),
            [{"at": now, "kind": K.JOIN, "uniqueid": "35.now", "queue": DISPATCHER}],
        )
    assert await _marks(db) == set()
    assert await roll_up(db, now, settings=RollupSettings(roll_after_minutes=30)) == 0
    got = await report_figures(db, now - timedelta(hours=2), now + timedelta(hours=1))
    assert [c.uniqueid for c in got.calls] == ["35.now"] and got.rolled == 0
