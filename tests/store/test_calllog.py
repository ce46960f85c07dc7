"""The call log repository, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from hotline.store.calllog import CallLog, UnknownCall
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome, EventKind
from hotline.store.models import Call

MSK = ZoneInfo("Europe/Moscow")
T0 = datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)


async def count_calls(db: Database) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(Call))).scalar_one()


async def test_open_returns_a_call_id_and_records_the_call(call_log: CallLog) -> None:
    call_id = await call_log.open(
        uniqueid="1700000000.1",
        direction=CallDirection.INBOUND,
        started_at=T0,
        linkedid="1700000000.1",
        channel="PJSIP/trunk-00000001",
        caller="+79131234567",
        callee="88005553535",
    )
    assert len(call_id) == 32
    int(call_id, 16)

    record = await call_log.get(uniqueid="1700000000.1")
    assert record is not None
    assert record == await call_log.get(call_id=call_id)
    assert record.id == call_id
    assert record.direction is CallDirection.INBOUND
    assert (record.channel, record.caller, record.callee) == (
        "PJSIP/trunk-00000001",
        "+79131234567",
        "88005553535",
    )
    assert record.simulated is False
    assert record.started_at == T0
    assert record.answered_at is None and record.ended_at is None
    assert record.outcome is None
    assert record.events == ()
    assert record.path == ()


async def test_concurrent_opens_of_one_call_make_one_row(call_log: CallLog, db: Database) -> None:
    # The AMI recorder and the FastAGI session both open the call as soon as they see it.
    ids = await asyncio.gather(
        *(
            call_log.open(
                uniqueid="1700000000.7",
                direction=CallDirection.INBOUND,
                caller=f"+7913000000{i}" if i % 2 else None,
            )
            for i in range(10)
        )
    )
    assert len(set(ids)) == 1
    assert await count_calls(db) == 1
    record = await call_log.get(uniqueid="1700000000.7")
    assert record is not None
    assert record.caller is not None and record.caller.startswith("+7913000000")


async def test_reopening_fills_gaps_and_keeps_the_earliest_start(call_log: CallLog) -> None:
    first = await call_log.open(
        uniqueid="u1",
        direction=CallDirection.INBOUND,
        started_at=T0,
        caller="+79131234567",
    )
    second = await call_log.open(
        uniqueid="u1",
        direction=CallDirection.OUTBOUND,  # ignored: a call's direction never changes
        started_at=T0 - timedelta(seconds=2),
        linkedid="L1",
        channel="PJSIP/x-1",
        caller="+70000000000",  # ignored: already known
        callee="88005553535",
        simulated=True,
    )
    later = await call_log.open(uniqueid="u1", direction=CallDirection.INBOUND, started_at=T0)
    assert first == second == later

    record = await call_log.get(uniqueid="u1")
    assert record is not None
    assert record.direction is CallDirection.INBOUND
    assert record.started_at == T0 - timedelta(seconds=2)
    assert (record.linkedid, record.channel, record.caller, record.callee) == (
        "L1",
        "PJSIP/x-1",
        "+79131234567",
        "88005553535",
    )
    assert record.simulated is True


async def test_events_come_back_in_order_with_the_path(call_log: CallLog) -> None:
    await call_log.open(uniqueid="u1", direction=CallDirection.INBOUND, started_at=T0)
    at = T0 + timedelta(seconds=1)
    # Two events at the same instant keep their insertion order.
    await call_log.add_event("u1", EventKind.NODE, "main", at=at)
    await call_log.add_event("u1", "prompt", "welcome", at=at)
    await call_log.add_event("u1", "digits", "2", {"timeout": False, "текст": "да"}, at=at)
    await call_log.add_event("u1", "node", "readings", at=at + timedelta(seconds=3))
    # Reported late but earlier in time: sorted by time, not by arrival.
    await call_log.add_event("u1", "note", "late", at=at - timedelta(milliseconds=1))
    await call_log.add_event("u1", "node", "operator")  # now: the latest

    record = await call_log.get(uniqueid="u1")
    assert record is not None
    assert [(e.kind, e.value) for e in record.events] == [
        ("note", "late"),
        ("node", "main"),
        ("prompt", "welcome"),
        ("digits", "2"),
        ("node", "readings"),
        ("node", "operator"),
    ]
    assert record.events[3].detail == {"timeout": False, "текст": "да"}
    assert record.events[1].detail is None
    assert record.path == ("main", "readings", "operator")


async def test_unknown_calls_are_reported(call_log: CallLog) -> None:
    with pytest.raises(UnknownCall):
        await call_log.add_event("nope", "node", "main")
    with pytest.raises(UnknownCall):
        await call_log.answered("nope")
    with pytest.raises(UnknownCall):
        await call_log.set_outcome("nope", CallOutcome.COMPLETED)
    with pytest.raises(UnknownCall):
        await call_log.ended("nope")
    assert await call_log.get(uniqueid="nope") is None
    assert await call_log.get(call_id="0" * 32) is None
    with pytest.raises(ValueError, match="exactly one"):
        await call_log.get()


async def test_the_first_outcome_wins(call_log: CallLog) -> None:
    await call_log.open(uniqueid="u1", direction=CallDirection.INBOUND)
    await call_log.set_outcome("u1", CallOutcome.OPERATOR, operator_reason="menu")
    await call_log.set_outcome("u1", CallOutcome.ABANDONED, operator_reason="other")
    record = await call_log.get(uniqueid="u1")
    assert record is not None
    assert (record.outcome, record.operator_reason) == (CallOutcome.OPERATOR, "menu")

    await call_log.set_outcome("u1", CallOutcome.FALLBACK, overwrite=True)
    record = await call_log.get(uniqueid="u1")
    assert record is not None
    assert (record.outcome, record.operator_reason) == (CallOutcome.FALLBACK, "menu")

    await call_log.set_outcome("u1", CallOutcome.COMPLETED, operator_reason="x", overwrite=True)
    record = await call_log.get(uniqueid="u1")
    assert record is not None
    assert (record.outcome, record.operator_reason) == (CallOutcome.COMPLETED, "x")


async def test_answered_and_ended_keep_the_first_report(call_log: CallLog) -> None:
    await call_log.open(uniqueid="u1", direction=CallDirection.INBOUND, started_at=T0)
    await call_log.answered("u1", at=T0 + timedelta(seconds=1))
    await call_log.answered("u1", at=T0 + timedelta(seconds=5))
    await call_log.ended("u1", at=T0 + timedelta(seconds=30))
    await call_log.ended("u1", at=T0 + timedelta(seconds=31), hangup_cause="Normal Clearing")
    await call_log.ended("u1", hangup_cause="User busy")
    record = await call_log.get(uniqueid="u1")
    assert record is not None
    assert record.answered_at == T0 + timedelta(seconds=1)
    assert record.ended_at == T0 + timedelta(seconds=30)
    assert record.hangup_cause == "Normal Clearing"


async def test_datetimes_round_trip_timezone_aware(call_log: CallLog) -> None:
    local = datetime(2026, 7, 15, 23, 30, 0, 500, tzinfo=MSK)  # 20:30 UTC
    await call_log.open(uniqueid="u1", direction=CallDirection.INBOUND, started_at=local)
    await call_log.answered("u1", at=local + timedelta(seconds=2))
    await call_log.add_event("u1", "node", "main", at=local + timedelta(seconds=3))
    before = datetime.now(UTC)
    await call_log.ended("u1")
    record = await call_log.get(uniqueid="u1")
    assert record is not None
    assert record.started_at == local
    assert record.started_at.tzinfo is UTC
    assert record.started_at.hour == 20
    assert record.answered_at == local + timedelta(seconds=2)
    assert record.events[0].at == local + timedelta(seconds=3)
    assert record.events[0].at.tzinfo is UTC
    assert record.ended_at is not None and record.ended_at.tzinfo is UTC
    assert before <= record.ended_at <= datetime.now(UTC)

    with pytest.raises(ValueError, match="naive"):
        await call_log.open(
            uniqueid="u2", direction=CallDirection.INBOUND, started_at=datetime(2026, 1, 1)
        )


async def test_recent_is_newest_first(call_log: CallLog) -> None:
    for i in range(5):
        await call_log.open(
            uniqueid=f"u{i}", direction=CallDirection.INBOUND, started_at=T0 + timedelta(i)
        )
        await call_log.add_event(f"u{i}", "node", f"n{i}")
    recent = await call_log.recent()
    assert [r.uniqueid for r in recent] == ["u4", "u3", "u2", "u1", "u0"]
    assert [r.path for r in recent] == [(f"n{i}",) for i in (4, 3, 2, 1, 0)]
    assert [r.uniqueid for r in await call_log.recent(2)] == ["u4", "u3"]
    since = await call_log.recent(since=T0 + timedelta(days=3))
    assert [r.uniqueid for r in since] == ["u4", "u3"]


async def test_to_dict_is_json_ready(call_log: CallLog) -> None:
    await call_log.open(
        uniqueid="u1", direction=CallDirection.OUTBOUND, started_at=T0, simulated=True
    )
    await call_log.add_event("u1", "node", "main", {"k": [1, 2]}, at=T0)
    await call_log.set_outcome("u1", CallOutcome.COMPLETED)
    record = await call_log.get(uniqueid="u1")
    assert record is not None
    data = record.to_dict()
    assert data["direction"] == "outbound"
    assert data["outcome"] == "completed"
    assert data["simulated"] is True
    assert data["started_at"] == "2026-03-01T09:00:00.123456+00:00"
    assert data["ended_at"] is None
    assert data["path"] == ["main"]
    assert data["events"] == [
        {
            "at": "2026-03-01T09:00:00.123456+00:00",
            "kind": "node",
            "value": "main",
            "detail": {"k": [1, 2]},
        }
    ]


async def test_calls_from_counts_earlier_calls_of_a_number(call_log: CallLog) -> None:
    for uniqueid in ("c.1", "c.2"):
        await call_log.open(
            uniqueid=uniqueid, direction=CallDirection.INBOUND, caller="79131234567"
        )
    await call_log.open(uniqueid="c.3", direction=CallDirection.INBOUND, caller="73942223344")
    assert await call_log.calls_from("79131234567") == 2
    assert await call_log.calls_from("79131234567", excluding="c.2") == 1
    assert await call_log.calls_from("70000000000") == 0
