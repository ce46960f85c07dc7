"""The queue report computed in SQL (issue 19 item 2) gives exactly what the report built
from the loaded call records and queue events gave (the oracle below is that old code), on
SQLite and PostgreSQL, for the whole hotline and for a department, with and without simulated
calls, over generated calls with edge cases: abandoned, overflowed (timeout, then re-queued:
two joins), callbacks (answered afterwards or not), several connects, completes without a
talk time, transferred calls (events in two queues), calls whose first join is before the
period and a later one in it, calls started or joined on the period's edges, events after
the period's end, events tied in time and stored out of order, rings unanswered by
operators (none, empty), answer targets in digits or not, readings/personal call types and
the operator's dispositions over them, outbound and simulated calls, queue events of calls
the log does not have, and calls that ended in the IVR, or have not ended."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from hotline.contact_center.departments import departments
from hotline.contact_center.desk import WRAPUP_REASON
from hotline.contact_center.desk_kpi import desk_kpis, pause_time
from hotline.contact_center.kpi import (
    CallFacts,
    CallType,
    QueueReport,
    queue_report,
    queued_calls,
)
from hotline.contact_center.queue_report import build_report
from hotline.contact_center.transfer_kpi import ring_no_answer_by_operator, transfer_kpis
from hotline.settings import Settings, load_settings
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog, CallRecord
from hotline.store.db import Database
from hotline.store.desk import DeskStore, DispositionRecord
from hotline.store.enums import (
    CallbackStatus,
    CallDirection,
    CallOutcome,
    EventKind,
    QueueEventKind,
)
from hotline.store.models import Call, CallDisposition, CallEvent, QueueEvent
from hotline.store.queue_events import QueueEvents
from hotline.store.queue_rollups import report_figures, roll_up
from hotline.store.transfers import Transfers

START = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
END = START + timedelta(days=2)
QUEUES = ("hotline-operators", "hotline-operators", "hotline-dispatcher")
OPERATORS = ("anna", "boris", "vera")


# --- the oracle: the report as built before issue 19 item 2 ------------------------------
def _call_facts(record: CallRecord) -> CallFacts:
    target = None
    for event in record.events:
        if event.kind == EventKind.ANSWER_TARGET and event.value.isdigit():
            target = int(event.value)
    reason = (record.operator_reason or "").lower()
    path = " ".join(record.path).lower()
    if "reading" in reason or "reading" in path:
        call_type = CallType.READINGS
    elif any(e.kind in ("account",) for e in record.events):
        call_type = CallType.PERSONAL
    else:
        call_type = CallType.GENERAL
    return CallFacts(target, call_type)


def _with_dispositions(
    facts: dict[str, CallFacts], dispositions: dict[str, DispositionRecord]
) -> dict[str, CallFacts]:
    merged = dict(facts)
    for uniqueid, kept in dispositions.items():
        known = merged.get(uniqueid, CallFacts())
        merged[uniqueid] = CallFacts(known.answer_target, CallType(kept.call_type))
    return merged


async def _oracle(
    db: Database,
    settings: Settings,
    *,
    include_simulated: bool,
    department: str | None,
) -> QueueReport:
    records = [
        r
        for r in await CallLog(db).between(START, END, include_simulated=include_simulated)
        if r.direction is CallDirection.INBOUND
    ]
    by_uniqueid = {r.uniqueid: r for r in records}
    events = [e for e in await QueueEvents(db).between(START, END) if e.uniqueid in by_uniqueid]
    queue_settings = settings.queue
    if department is not None:
        chosen = departments(settings.queue)[department]
        events = [e for e in events if e.queue == chosen.queue]
        queue_settings = settings.queue.model_copy(
            update={
                "answer_target": chosen.answer_target,
                "emergency_answer_target": chosen.emergency_answer_target,
            }
        )
        joined = {e.uniqueid for e in events}
        records = [r for r in records if r.uniqueid in joined]
    desk_store = DeskStore(db)
    queued_ids = {e.uniqueid for e in events}
    dispositions = await desk_store.dispositions(queued_ids)
    facts = _with_dispositions(
        {uid: _call_facts(r) for uid, r in by_uniqueid.items()}, dispositions
    )
    calls = queued_calls(events, facts, queue_settings.answer_target)
    views = [v for v in await desk_store.card_views(START, END) if v.uniqueid in queued_ids]
    pauses = await desk_store.pauses(START, END) if department is None else []
    callbacks = await CallbackStore(db).find(start=START, end=END)
    if department is not None:
        call_ids = {by_uniqueid[uid].id for uid in joined}
        callbacks = [c for c in callbacks if c.call_id in call_ids]
    queued = {c.uniqueid for c in calls}
    report = queue_report(
        calls,
        queue_settings,
        calls_total=len(records),
        ivr_contained=sum(1 for r in records if r.outcome is CallOutcome.COMPLETED),
        ivr_hangups=sum(
            1
            for r in records
            if r.ended_at is not None
            and r.uniqueid not in queued
            and r.outcome is not CallOutcome.COMPLETED
        ),
        callbacks_requested=len(callbacks),
        callbacks_done=sum(1 for c in callbacks if c.status is CallbackStatus.DONE),
        extra_kpis=desk_kpis(settings.desk, dispositions.values(), views, pauses, WRAPUP_REASON),
        operator_time=pause_time(pauses, START, END),
    )
    transfers = [t for t in await Transfers(db).between(START, END) if t.uniqueid in queued]
    report.kpis.extend(transfer_kpis(transfers, settings.transfer.answer_target))
    report.ring_no_answer.update(ring_no_answer_by_operator(events))
    return report


# --- the generated data set ----------------------------------------------------------------
def _data(seed: int, count: int) -> dict[str, list[dict[str, Any]]]:
    pick = random.Random(seed)
    out: dict[str, list[dict[str, Any]]] = {"calls": [], "events": [], "queue": [], "kept": []}
    edges = [START, END - timedelta(microseconds=1), END, START - timedelta(microseconds=1)]
    for i in range(count):
        started = (
            edges[i]
            if i < len(edges)
            else START
            + timedelta(seconds=pick.randrange(-3600, 2 * 86400 + 3600))
            + timedelta(microseconds=pick.randrange(0, 1_000_000, 1000))
        )
        call_id, uniqueid = f"{seed:02d}{i:030x}", f"{seed}.{i}"
        out["calls"].append(
            {
                "id": call_id,
                "direction": CallDirection.OUTBOUND if i % 23 == 5 else CallDirection.INBOUND,
                "uniqueid": uniqueid,
                "simulated": pick.random() < 0.1,
                "started_at": started,
                "ended_at": None
                if pick.random() < 0.1
                else started + timedelta(seconds=pick.uniform(0, 900)),
                "outcome": pick.choice((None, *CallOutcome)),
                "operator_reason": pick.choice((None, "", "Readings", "debt", "meter reading")),
            }
        )
        for _ in range(pick.choice((0, 1, 2, 3))):
            kind, value = pick.choice(
                (
                    (EventKind.ANSWER_TARGET, "40"),
                    (EventKind.ANSWER_TARGET, "180"),
                    (EventKind.ANSWER_TARGET, "soon"),
                    (EventKind.ANSWER_TARGET, ""),
                    (EventKind.NODE, "main"),
                    (EventKind.NODE, "Readings_menu"),
                    (EventKind.ACCOUNT, "by caller id"),
                    (EventKind.PROMPT, "reading"),
                )
            )
            at = started + timedelta(seconds=pick.choice((0, 0, 1, 5)))
            out["events"].append(
                {"call_id": call_id, "at": at, "kind": kind.value, "value": value}
            )
        _queue_events(pick, out["queue"], uniqueid, started)
        if pick.random() < 0.2:
            out["kept"].append(
                {
                    "uniqueid": uniqueid,
                    "operator": pick.choice(OPERATORS),
                    "call_type": pick.choice(list(CallType)).value,
                    "result": "resolved",
                    "note": None,
                    "at": started + timedelta(minutes=5),
                }
            )
    # Queue events of calls the log does not have.
    _queue_events(pick, out["queue"], "ghost.1", START + timedelta(hours=1))
    return out


def _queue_events(
    pick: random.Random, rows: list[dict[str, Any]], uniqueid: str, started: datetime
) -> None:
    if pick.random() < 0.25:
        return  # never queued
    queue = pick.choice(QUEUES)
    at = started + timedelta(seconds=pick.choice((0, 3, 20)))
    if pick.random() < 0.1:  # a join before the period's start, then the call re-queued
        rows.append(_qe(START - timedelta(minutes=1), QueueEventKind.JOIN, uniqueid, queue))
    kinds: list[QueueEventKind] = [QueueEventKind.JOIN]
    kinds += pick.choice(
        (
            [QueueEventKind.CONNECT, QueueEventKind.COMPLETE],  # answered
            [QueueEventKind.RING_NO_ANSWER, QueueEventKind.CONNECT, QueueEventKind.COMPLETE],
            [QueueEventKind.ABANDON],  # hung up waiting
            [QueueEventKind.TIMEOUT, QueueEventKind.JOIN, QueueEventKind.LEAVE],  # overflow
            [QueueEventKind.TIMEOUT, QueueEventKind.CALLBACK],  # callback request
            [QueueEventKind.CALLBACK, QueueEventKind.CONNECT],  # callback, then answered
            [QueueEventKind.CONNECT, QueueEventKind.CONNECT, QueueEventKind.COMPLETE],
            [QueueEventKind.CONNECT, QueueEventKind.COMPLETE, QueueEventKind.JOIN],
            [],  # still waiting
        )
    )
    for kind in kinds:
        at += timedelta(seconds=pick.choice((0, 0, 1.5, 12, 41, 200, 86400)))
        if kind is QueueEventKind.COMPLETE and pick.random() < 0.3:
            queue = pick.choice(QUEUES)  # transferred: the rest in another queue
        rows.append(_qe(at, kind, uniqueid, queue, pick))


def _qe(
    at: datetime,
    kind: QueueEventKind,
    uniqueid: str,
    queue: str,
    pick: random.Random | None = None,
) -> dict[str, Any]:
    member = None
    if pick is not None and kind in (QueueEventKind.CONNECT, QueueEventKind.COMPLETE):
        member = pick.choice(OPERATORS)
    elif pick is not None and kind is QueueEventKind.RING_NO_ANSWER:
        member = pick.choice((*OPERATORS, None, ""))
    talk = None
    if pick is not None and kind is QueueEventKind.COMPLETE:
        talk = pick.choice((None, 0, 35, 130, 310))
    return {
        "at": at,
        "kind": kind,
        "uniqueid": uniqueid,
        "queue": queue,
        "member": member,
        "talk": talk,
    }


async def _fill(db: Database, seed: int, count: int) -> None:
    data = _data(seed, count)
    pick = random.Random(seed + 1)
    for rows in data.values():
        pick.shuffle(rows)  # ids out of time order
    async with db.session() as session:
        await session.execute(insert(Call), data["calls"])
        await session.execute(insert(CallEvent), data["events"])
        await session.execute(insert(QueueEvent), data["queue"])
        seen: set[tuple[str, str]] = set()
        kept = []
        for row in data["kept"]:
            if (row["uniqueid"], row["operator"]) not in seen:
                seen.add((row["uniqueid"], row["operator"]))
                kept.append(row)
        await session.execute(insert(CallDisposition), kept)


def _figures(report: QueueReport) -> dict[str, Any]:
    figures = report.to_dict()
    figures["calls"] = [
        (c.uniqueid, c.joined_at, c.target, c.call_type, c.answered, c.wait) for c in report.calls
    ]
    figures["call_details"] = [(c.callback, c.talk, c.member) for c in report.calls]
    return figures


async def test_queue_report_in_sql_matches_the_records(db: Database) -> None:
    await db.upgrade()
    await _fill(db, 11, 300)
    settings = load_settings(environ={})
    cases = ((False, None), (True, None), (False, "dispatcher"), (True, "operators"))
    for include_simulated, department in cases:
        oracle = await _oracle(
            db, settings, include_simulated=include_simulated, department=department
        )
        assert oracle.offered > 40 and oracle.lost and oracle.callbacks_from_queue, "poor data"
        assert oracle.ring_no_answer and oracle.lost_in_ivr, "a poor data set"
        got = await build_report(
            db, settings, START, END, include_simulated=include_simulated, department=department
        )
        assert _figures(got) == _figures(oracle), (include_simulated, department)


async def test_the_report_never_loads_queue_events_nor_call_records(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await db.upgrade()
    await _fill(db, 12, 40)

    async def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("rows loaded one by one")

    monkeypatch.setattr(QueueEvents, "between", refused)
    monkeypatch.setattr(CallLog, "between", refused)
    report = await build_report(db, load_settings(environ={}), START, END)
    assert report.offered > 0


async def test_an_empty_period_gives_an_empty_report(db: Database) -> None:
    await db.upgrade()
    settings = load_settings(environ={})
    got = await build_report(db, settings, START, END)
    oracle = await _oracle(db, settings, include_simulated=False, department=None)
    assert _figures(got) == _figures(oracle)
    assert got.offered == got.calls_total == 0


# --- the KPIs as sums in SQL over the roll-ups (issue 19 item 3) ---------------------------
def _kpis(report: QueueReport) -> dict[str, Any]:
    """Every figure but the list of calls (a summed report shows none)."""
    figures = report.to_dict()
    del figures["over_wait_limit"]
    return figures


async def _roll_all(db: Database) -> None:
    while await roll_up(db, datetime.now(UTC), limit=500):
        pass


async def _summed_equals_listed(db: Database, settings: Settings, spans: Any) -> None:
    cases = ((False, None), (True, None), (False, "dispatcher"), (True, "operators"))
    for start, end in spans:
        for include_simulated, department in cases:
            args = (db, settings, start, end)
            listed = await build_report(
                *args, include_simulated=include_simulated, department=department
            )
            summed = await build_report(
                *args, include_simulated=include_simulated, department=department, calls=False
            )
            assert summed.calls == [] and summed.over_wait_limit == []
            assert _kpis(summed) == _kpis(listed), (start, end, include_simulated, department)


async def test_the_kpis_summed_in_sql_equal_the_report_over_its_calls(db: Database) -> None:
    await db.upgrade()
    await _fill(db, 13, 400)
    # Answer targets the generated set lacks: "0" (the default, as ``or`` gives it) and 25.
    async with db.session() as session:
        calls = (await session.execute(select(Call.id, Call.started_at))).all()
        await session.execute(
            insert(CallEvent),
            [
                {
                    "call_id": call_id,
                    "at": started + timedelta(seconds=30),
                    "kind": EventKind.ANSWER_TARGET.value,
                    "value": ("0", "25", "07")[i % 3],
                }
                for i, (call_id, started) in enumerate(calls[::5])
            ],
        )
    base = load_settings(environ={})
    # A department with its own default target (the dispatcher's 20 s, not the 40 s).
    dispatcher = base.queue.departments["dispatcher"].model_copy(update={"answer_target": 20})
    queue = base.queue.model_copy(
        update={"departments": {**base.queue.departments, "dispatcher": dispatcher}}
    )
    settings = base.model_copy(update={"queue": queue})
    mid = (START + timedelta(minutes=7, microseconds=3), END - timedelta(minutes=22))
    empty = (END + timedelta(days=1), END + timedelta(days=2))
    spans = ((START, END), mid, empty)
    await _summed_equals_listed(db, settings, spans)  # nothing rolled: all from events
    await _roll_all(db)
    rolled = await report_figures(db, START, END)
    assert rolled.rolled > 150 and rolled.calls, "nothing read from the roll-ups"
    await _summed_equals_listed(db, settings, spans)
    oracle = await _oracle(db, settings, include_simulated=False, department="dispatcher")
    summed = await build_report(db, settings, START, END, department="dispatcher", calls=False)
    assert _kpis(summed) == _kpis(oracle)
    # A disposition written after the roll-up changes a rolled call's type (read live).
    before = (await build_report(db, settings, START, END, calls=False)).kpi(
        "handling_time_readings"
    )
    answered = [c for c in (await build_report(db, settings, START, END)).calls if c.talk]
    retyped = next(c for c in answered if c.call_type is not CallType.READINGS)
    async with db.session() as session:
        await session.execute(
            insert(CallDisposition),
            {
                "uniqueid": retyped.uniqueid,
                "operator": "late-operator",
                "call_type": CallType.READINGS.value,
                "result": "resolved",
                "note": None,
                "at": datetime.now(UTC),
            },
        )
    assert (await report_figures(db, START, END)).rolled == rolled.rolled
    oracle = await _oracle(db, settings, include_simulated=False, department=None)
    summed = await build_report(db, settings, START, END, calls=False)
    assert _kpis(summed) == _kpis(oracle)
    assert summed.kpi("handling_time_readings").value != before.value
