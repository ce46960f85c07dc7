"""Callbacks, operators, queue events, recordings (+ audit), the screen pop and the period
report from stored rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.contact_center import operators as ops
from hotline.contact_center import recordings as recording
from hotline.contact_center.queue_report import build_report
from hotline.core.errors import NotFound
from hotline.protocol.ami import AmiEvent
from hotline.settings import load_settings
from hotline.store.audit import Actor
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallbackStatus, CallDirection, CallOutcome
from hotline.store.enums import QueueEventKind as K
from hotline.store.operators import Operators
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from hotline.store.recordings import Recordings

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


@pytest.fixture
async def store(db: Database) -> Database:
    await db.upgrade()
    return db


async def open_call(log: CallLog, uid: str, at: datetime, caller: str = "79001234567") -> str:
    return await log.open(
        uniqueid=uid, direction=CallDirection.INBOUND, caller=caller, started_at=at
    )


async def test_callbacks_request_list_done(store: Database) -> None:
    log = CallLog(store)
    call_id = await open_call(log, "u1", T0)
    callbacks = CallbackStore(store)
    first = await callbacks.request("79001234567", source="queue", uniqueid="u1", account="123")
    second = await callbacks.request("73952000000", source="closed")
    assert first.call_id == call_id and second.call_id is None
    assert [c.id for c in await callbacks.find(status=CallbackStatus.OPEN)] == [
        first.id,
        second.id,
    ]
    done = await callbacks.done(first.id, "ivanova", "called back")
    assert done.status is CallbackStatus.DONE and done.done_by == "ivanova" and done.done_at
    again = await callbacks.done(first.id, "petrova")  # already done: unchanged
    assert again.done_by == "ivanova"
    assert [c.id for c in await callbacks.find(status=CallbackStatus.OPEN)] == [second.id]
    with pytest.raises(NotFound):
        await callbacks.done(999, "x")


async def test_operators(store: Database) -> None:
    operators = Operators(store)
    interface = ops.simulated_interface("op1", 2, 5)
    await operators.add("op1", interface, simulated=True)
    with pytest.raises(ValueError, match="already exists"):
        await operators.add("op1", "PJSIP/x")
    with pytest.raises(ValueError, match="already belongs"):
        await operators.add("op2", interface)
    await operators.set_state("op1", logged_in=True, paused=True)
    (op,) = await operators.all()
    assert (op.logged_in, op.paused, op.interface) == (True, True, interface)
    assert (await operators.by_interface(interface)) == op
    with pytest.raises(NotFound):
        await operators.set_state("nobody", logged_in=True)
    with pytest.raises(ops.OperatorError):
        ops.check_name("Bad Name")


async def test_screen_pop_from_the_call_log(store: Database) -> None:
    log = CallLog(store)
    events = QueueEvents(store)
    call_id = await open_call(log, "u1", T0)
    for node in ("main", "readings", "operator"):
        await log.add_event("u1", "node", node)
    # What the readings engineer's IVR writes (the interface contract).
    await log.add_event("u1", "account", "1234567890")
    await log.add_event("u1", "reading", "m1/day=12345")
    await log.set_outcome("u1", CallOutcome.OPERATOR, operator_reason="readings")
    assert await ops.screen("op1", log, events) is None  # nothing connected yet
    await events.add(QueueEventRecord(T0, K.JOIN, "u1", "q"))
    await events.add(
        QueueEventRecord(T0 + timedelta(seconds=12), K.CONNECT, "u1", "q", member="op1", wait=12)
    )
    data = await ops.screen("op1", log, events, {"HOTLINE_ACCOUNT": "1234567890"})
    assert data is not None
    assert data["call_id"] == call_id and data["caller"] == "79001234567"
    assert data["account"] == "1234567890" and data["reading"] == "m1/day=12345"
    assert data["path"] == ["main", "readings", "operator"]
    assert data["operator_reason"] == "readings" and data["waited"] == 12
    assert data["channel_variables"] == {"HOTLINE_ACCOUNT": "1234567890"}
    await events.add(
        QueueEventRecord(T0 + timedelta(seconds=99), K.COMPLETE, "u1", "q", member="op1", talk=87)
    )
    assert await ops.screen("op1", log, events) is None  # the conversation ended


def agent_event(name: str, uniqueid: str, member: str) -> AmiEvent:
    return AmiEvent.from_headers([("Event", name), ("Uniqueid", uniqueid), ("MemberName", member)])


def test_own_connect_is_the_last_call_put_through_to_that_operator() -> None:
    heard = [
        agent_event("AgentConnect", "u1", "op1"),
        agent_event("AgentConnect", "u2", "op2"),
        agent_event("AgentComplete", "u3", "op1"),
        agent_event("AgentConnect", "u4", "op1"),
        agent_event("Hangup", "u5", "op1"),
    ]
    assert ops.own_connect(heard, "op1") == "u4"
    assert ops.own_connect(heard, "op2") == "u2"
    assert ops.own_connect(heard[2:3], "op1") is None


async def test_the_screen_waits_for_the_connect_the_console_heard(store: Database) -> None:
    """The console hears AgentConnect as the engine does; the engine stores it later.  The
    screen waits for it (a loaded CI run drew "no call" and then not again before the caller
    left), but not for ever."""
    log, events = CallLog(store), QueueEvents(store)
    await open_call(log, "u1", T0)
    assert not await ops.connect_stored(store, "op1", "u1", None, within=0.3, look=0.05)

    async def stored_later() -> None:
        await asyncio.sleep(0.4)
        await events.add(QueueEventRecord(T0, K.CONNECT, "u1", "q", member="op1"))

    writer = asyncio.create_task(stored_later())
    assert await ops.connect_stored(store, "op1", "u1", None, within=10, look=0.05)
    assert writer.done()
    # Already stored: at once.  A transfer's leg is stored under its caller's uniqueid, so
    # any connect but the call on the screen will do.
    assert await ops.connect_stored(store, "op1", "u1", "u1", within=0)
    assert await ops.connect_stored(store, "op1", "leg-of-u1", None, within=0)
    # The call on the screen is not a new one.
    assert not await ops.connect_stored(store, "op1", "leg-of-u1", "u1", within=0)


def test_own_end_is_the_operators_complete_or_the_shown_callers_hang_up() -> None:
    assert ops.own_end([agent_event("AgentComplete", "u1", "op1")], "op1", "u1")
    assert ops.own_end([agent_event("Hangup", "u1", "")], "op1", "u1")
    assert not ops.own_end([agent_event("AgentComplete", "u2", "op2")], "op1", "u1")
    assert not ops.own_end([agent_event("Hangup", "u9", "")], "op1", "u1")
    assert not ops.own_end([agent_event("AgentComplete", "u1", "op1")], "op1", None)


async def test_the_screen_waits_for_the_end_the_console_heard(store: Database) -> None:
    """An ended call drawn as live stayed so until the next redraw (5 s): the screen waits,
    bounded, for the stored end of the call it shows."""
    log, events = CallLog(store), QueueEvents(store)
    await open_call(log, "u1", T0)
    await events.add(QueueEventRecord(T0, K.CONNECT, "u1", "q", member="op1"))
    assert not await ops.end_stored(store, "op1", "u1", within=0.3, look=0.05)

    async def stored_later() -> None:
        await asyncio.sleep(0.4)
        later = T0 + timedelta(seconds=30)
        await events.add(QueueEventRecord(later, K.COMPLETE, "u1", "q", member="op1"))

    writer = asyncio.create_task(stored_later())
    assert await ops.end_stored(store, "op1", "u1", within=10, look=0.05)
    assert writer.done()
    # Another call on the screen by now, or none at all: at once.
    assert await ops.end_stored(store, "op1", "u1", within=0)
    assert await ops.end_stored(store, "op2", "u1", within=0)


async def test_recordings_index_audit_and_purge(store: Database, tmp_path: Path) -> None:
    log = CallLog(store)
    await open_call(log, "new", T0)
    recordings = Recordings(store)
    old_file, new_file = tmp_path / "old.wav", tmp_path / "new.wav"
    for path in (old_file, new_file):
        path.write_bytes(b"\0" * (44 + 16000 * 3))
    old = await recordings.started("old", str(old_file), caller=None, at=T0 - timedelta(days=40))
    new = await recordings.started("new", str(new_file), caller="79001234567", at=T0)
    assert await recordings.started("new", str(new_file), caller=None) == new  # idempotent
    assert recording.wav_seconds(new_file) == 3.0
    assert [r.id for r in await recordings.find()] == [old, new]
    assert (await recordings.for_uniqueid("new"))[0].call_id is not None

    root = tmp_path.resolve()  # noqa: ASYNC240 (a test's own folder)
    assert await recording.purge(recordings, 30, by=Actor("test", "cli"), root=root) == [old]
    assert not old_file.exists() and new_file.exists()
    assert [r.id for r in await recordings.find()] == [new]
    assert [r.id for r in await recordings.find(include_purged=True)] == [old, new]
    assert await recording.purge(recordings, 30, by=Actor("test", "cli"), root=root) == []
    (entry,) = await recordings.audit_log()
    assert (entry["action"], entry["recording_id"], entry["by"]) == ("purge", old, "test")


async def test_period_report_from_stored_rows(store: Database) -> None:
    """Three calls through the store: answered in time, abandoned, contained in the IVR."""
    log = CallLog(store)
    events = QueueEvents(store)
    await open_call(log, "a", T0)
    await log.add_event("a", "answer_target", "40", at=T0)
    await open_call(log, "b", T0 + timedelta(seconds=1))
    await open_call(log, "c", T0 + timedelta(seconds=2))
    await log.set_outcome("c", CallOutcome.COMPLETED)
    rows = [
        QueueEventRecord(T0 + timedelta(seconds=10), K.JOIN, "a", "q"),
        QueueEventRecord(T0 + timedelta(seconds=30), K.CONNECT, "a", "q", member="op1"),
        QueueEventRecord(
            T0 + timedelta(seconds=150), K.COMPLETE, "a", "q", member="op1", talk=120
        ),
        QueueEventRecord(T0 + timedelta(seconds=11), K.JOIN, "b", "q"),
        QueueEventRecord(T0 + timedelta(seconds=71), K.ABANDON, "b", "q", wait=60),
    ]
    for row in rows:
        await events.add(row)
    await CallbackStore(store).request("79001234567", source="closed", at=T0)
    report = await build_report(
        store, load_settings(), T0 - timedelta(minutes=1), T0 + timedelta(minutes=10)
    )
    assert (report.calls_total, report.offered, report.answered, report.lost) == (3, 2, 1, 1)
    assert report.kpi("service_level").value == 0.5
    assert report.kpi("lost_ratio_queue").value == 0.5
    assert report.kpi("lost_ratio_all_calls").value == pytest.approx(1 / 3, abs=1e-4)
    assert report.kpi("average_wait_answered").value == 20.0
    assert report.kpi("max_wait").value == 60.0
    assert report.kpi("handling_time_general").value == 120.0
    assert report.kpi("ivr_containment").value == pytest.approx(1 / 3, abs=1e-4)
    assert report.callbacks_requested == 1
