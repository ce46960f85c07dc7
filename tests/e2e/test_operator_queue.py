"""The operator queue end to end: simulated callers (DTMF through the IVR) and simulated
operators (Local channels that answer after a delay, or never) in the real Asterisk sandbox.

Answer targets are seconds here instead of 40/180 so calls stay short; the flow is the same.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hotline.app import Engine
from hotline.contact_center import operators as ops
from hotline.contact_center import recordings as recording
from hotline.contact_center.emergency import switch_on
from hotline.contact_center.queue_report import build_report
from hotline.contact_center.recording_completion import file_states
from hotline.contact_center.recordings import wav_duration
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.audit import Actor
from hotline.store.callbacks import CallbackStore
from hotline.store.enums import CallbackStatus, QueueEventKind
from hotline.store.queue_events import QueueEvents
from tests.e2e.engine_support import engine_settings, simulator

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts]

TARGET = 3
EMERGENCY_TARGET = 7
CALLER = "79001234567"


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return engine_settings(
        tmp_path / "queue.db",
        queue={"answer_target": TARGET, "emergency_answer_target": EMERGENCY_TARGET},
        simulate={"queue_linger_seconds": 25.0, "max_call_seconds": 90.0},
    )


@pytest.fixture
async def operator_pool(engine: Engine) -> AsyncIterator[list[str]]:
    """Operators a test logs in; all logged out afterwards (the sandbox outlives the test)."""
    names: list[str] = []
    yield names
    for name in names:
        await ops.logout(engine.ami, engine.operators, engine.settings, name)


async def add_operator(
    engine: Engine, pool: list[str], name: str, answer_after: int | None, handling: int
) -> None:
    interface = ops.simulated_interface(name, answer_after, handling)
    await engine.operators.add(name, interface, simulated=True)
    await ops.login(engine.ami, engine.operators, engine.settings, name)
    pool.append(name)


async def screen_pop(engine: Engine, name: str, within: float = 40.0) -> dict[str, Any]:
    """Poll the screen pop (as `hotline operators screen` does) until a call is connected."""
    async with asyncio.timeout(within):
        while True:
            connect = await QueueEvents(engine.db).latest_connect(name)
            if connect is not None:
                call = await engine.call_log.get(uniqueid=connect.uniqueid)
                assert call is not None and call.channel
                variables = {
                    var.value: await engine.ami.getvar(call.channel, var.value)
                    for var in ops.SCREEN_VARS
                }
                data = await ops.screen(name, engine.call_log, QueueEvents(engine.db), variables)
                assert data is not None
                return data
            await asyncio.sleep(0.2)


async def queue_kinds(engine: Engine, uniqueid: str, settle: float = 2.0) -> list[QueueEventKind]:
    await asyncio.sleep(settle)  # the tracker stores what AMI just reported
    return [e.kind for e in await QueueEvents(engine.db).for_uniqueid(uniqueid)]


async def test_answered_within_target_is_recorded_and_exported(
    engine: Engine, operator_pool: list[str], tmp_path: Path
) -> None:
    await add_operator(engine, operator_pool, "op.fast", answer_after=1, handling=4)
    async with simulator(engine.settings) as (sim, call_log, _ami):
        call_task = asyncio.create_task(sim.run("0", CALLER))
        pop = await screen_pop(engine, "op.fast")
        transcript = await call_task
    # The screen pop, the moment the operator answered: the IVR context from the call log
    # and the channel variables the dialplan handed on.
    assert pop["uniqueid"] == transcript.uniqueid and pop["caller"] == CALLER
    assert pop["path"][-1] == "operator" and pop["operator_reason"] == "menu"
    assert pop["channel_variables"]["HOTLINE_CALL_ID"] == pop["call_id"]
    assert pop["channel_variables"]["HOTLINE_ANSWER_TARGET"] == str(TARGET)
    kinds = await queue_kinds(engine, transcript.uniqueid)
    assert QueueEventKind.JOIN in kinds and QueueEventKind.CONNECT in kinds, kinds
    assert QueueEventKind.COMPLETE in kinds, kinds
    assert QueueEventKind.TIMEOUT not in kinds

    report = await build_report(
        engine.db,
        engine.settings,
        datetime.now(UTC) - timedelta(minutes=10),
        datetime.now(UTC) + timedelta(minutes=1),
        include_simulated=True,
    )
    assert report.offered == 1 and report.answered == 1 and report.lost == 0
    assert report.kpi("service_level").value == 1.0

    # The recording: indexed with the call, the caller and the operator; a plausible length
    # (greeting and menu, then 4 s with the operator).
    call = await call_log.get(uniqueid=transcript.uniqueid)
    assert call is not None
    # The operator and the length are indexed once the hang-up is tracked and the file is
    # closed (up to seconds later on a loaded machine): wait for them, bounded.
    async with asyncio.timeout(30):
        while True:
            recordings = await engine.recordings.find(call_id=call.id)
            if recordings and recordings[0].operator and recordings[0].duration is not None:
                break
            await asyncio.sleep(0.2)
    assert len(recordings) == 1
    rec = recordings[0]
    assert rec.operator == "op.fast" and rec.caller == CALLER
    assert rec.duration is not None and 4.0 <= rec.duration <= transcript.duration + 1
    assert await asyncio.to_thread(os.path.isfile, rec.path)
    # Asterisk's MixMonitor closed the file and its WAV header says so: what lets a stopping
    # engine complete a recording without waiting for its settle time.
    [(size, closed)] = await asyncio.to_thread(file_states, [Path(rec.path)])
    assert closed and rec.duration == wav_duration(size)

    zip_path = tmp_path / "export.zip"
    result = await recording.export(
        engine.recordings, engine.settings, zip_path, by=Actor("test", "cli"), call_id=call.id
    )
    assert result.recordings == 1 and not result.missing
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        assert "manifest.csv" in names
        mp3 = [n for n in names if n.endswith(".mp3")]
        assert len(mp3) == 1 and archive.getinfo(mp3[0]).file_size > 1000
        assert call.id in archive.read("manifest.csv").decode()
    audit = await engine.recordings.audit_log()
    assert audit[0]["action"] == "export" and audit[0]["recording_id"] == rec.id

    # Retention: a recording older than the period is purged, this newer one stays.
    old_path = Path(rec.path).with_name(f"old-{call.id}.wav")
    shutil.copyfile(rec.path, old_path)
    old_id = await engine.recordings.started(
        "old-" + call.uniqueid,
        str(old_path),
        caller=CALLER,
        at=datetime.now(UTC) - timedelta(days=31),
    )
    purged = await recording.purge(
        engine.recordings,
        30,
        by=Actor("test", "cli"),
        root=recording.recordings_root(engine.settings),
    )
    assert purged == [old_id]
    assert not await asyncio.to_thread(old_path.exists)
    assert await asyncio.to_thread(os.path.isfile, rec.path)
    assert [r.id for r in await engine.recordings.find()] == [rec.id]


async def test_overflow_after_target_stores_a_callback(
    engine: Engine, operator_pool: list[str]
) -> None:
    # An operator who never answers: the target passes, the caller asks for a callback,
    # confirms their caller ID and chooses «в течение часа» (R-109: operators work now).
    await add_operator(engine, operator_pool, "op.away", answer_after=None, handling=1)
    async with simulator(engine.settings) as (sim, _log, _ami):
        transcript = await sim.run("0|1|1|1", CALLER)
    callbacks = await CallbackStore(engine.db).find(status=CallbackStatus.OPEN)
    assert [(c.number, c.source) for c in callbacks] == [(CALLER, "queue")]
    (taken,) = callbacks
    assert taken.due_at is not None and taken.due_until is not None
    assert taken.due_until - taken.due_at == timedelta(hours=1)
    assert taken.requested_at - timedelta(seconds=60) <= taken.due_at <= taken.requested_at
    kinds = await queue_kinds(engine, transcript.uniqueid)
    assert kinds.index(QueueEventKind.TIMEOUT) < kinds.index(QueueEventKind.CALLBACK)
    assert QueueEventKind.CONNECT not in kinds
    timeout = next(
        e
        for e in await QueueEvents(engine.db).for_uniqueid(transcript.uniqueid)
        if e.kind is QueueEventKind.TIMEOUT
    )
    assert timeout.wait is not None and TARGET <= timeout.wait < EMERGENCY_TARGET

    report = await build_report(
        engine.db,
        engine.settings,
        datetime.now(UTC) - timedelta(minutes=10),
        datetime.now(UTC) + timedelta(minutes=1),
        include_simulated=True,
    )
    assert report.offered == 1 and report.callbacks_from_queue == 1 and report.lost == 0
    assert report.callbacks_requested == 1 and report.callbacks_done == 0


async def test_abandoned_call_is_counted(engine: Engine, settings: Settings) -> None:
    quick = engine_settings(
        Path(settings.database_url.split("///", 1)[1]),
        queue={"answer_target": TARGET},
        simulate={"queue_linger_seconds": 1.0},
    )
    async with simulator(quick) as (sim, _log, _ami):
        transcript = await sim.run("0", CALLER)
    kinds = await queue_kinds(engine, transcript.uniqueid)
    assert QueueEventKind.ABANDON in kinds, kinds
    report = await build_report(
        engine.db,
        engine.settings,
        datetime.now(UTC) - timedelta(minutes=10),
        datetime.now(UTC) + timedelta(minutes=1),
        include_simulated=True,
    )
    assert report.offered == 1 and report.lost == 1
    assert report.kpi("lost_ratio_queue").value == 1.0
    assert report.kpi("lost_ratio_queue").met is False


async def test_emergency_mode_changes_the_target(engine: Engine) -> None:
    # A short typed message keeps the call short.
    await switch_on(engine.db, engine.prompts, text="Авария.", by=Actor("test", "cli"))
    await engine.reload_emergency()
    # Nobody answers; the caller leaves during the overflow offer.
    leaves_soon = engine.settings.model_copy(
        update={
            "simulate": engine.settings.simulate.model_copy(update={"queue_linger_seconds": 10.0})
        }
    )
    async with simulator(leaves_soon) as (sim, call_log, _ami):
        transcript = await sim.run("0", CALLER)
    call = await call_log.get(uniqueid=transcript.uniqueid)
    assert call is not None
    assert [e.value for e in call.events if e.kind == "answer_target"] == [str(EMERGENCY_TARGET)]
    events = await QueueEvents(engine.db).for_uniqueid(transcript.uniqueid)
    timeout = next(e for e in events if e.kind is QueueEventKind.TIMEOUT)
    assert timeout.wait is not None and timeout.wait >= EMERGENCY_TARGET


async def test_without_the_engine_the_dialplan_records_before_the_queue(engine: Engine) -> None:
    # FastAGI is down (the engine's calls part failed); the tracker still runs.
    await engine.server.stop()
    quick = engine.settings.model_copy(
        update={
            "simulate": engine.settings.simulate.model_copy(update={"queue_linger_seconds": 3.0})
        }
    )
    async with simulator(quick) as (sim, _log, _ami):
        transcript = await sim.run("", CALLER)
    assert transcript.outcome == "fallback"
    # MixMonitor closes the file, then the tracker measures it.
    async with asyncio.timeout(15):
        while not (recs := await engine.recordings.for_uniqueid(transcript.uniqueid)) or any(
            r.duration is None for r in recs
        ):
            await asyncio.sleep(0.1)
    (rec,) = recs
    assert rec.path.endswith(f"{transcript.uniqueid}.wav")
    assert await asyncio.to_thread(os.path.isfile, rec.path)
    assert rec.duration is not None and rec.duration >= 1.0


def test_operator_commands_over_ami(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hotline operators login|pause|logout` and `hotline queue status` against Asterisk."""
    from tests.cli_support import run_hotline

    monkeypatch.setenv("USER", "tester")
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    assert run_hotline(url, "operators", "add", "op.cli", "--simulated")[0] == 0
    assert run_hotline(url, "operators", "login", "op.cli")[0] == 0
    try:

        def member() -> dict[str, Any]:
            code, out, err = run_hotline(url, "queue", "status", "--json")
            assert code == 0, err
            (found,) = [m for m in json.loads(out)["operators"] if m["name"] == "op.cli"]
            return found

        assert member()["state"] in ("idle", "unknown")
        assert run_hotline(url, "operators", "pause", "op.cli")[0] == 0
        assert member()["state"] == "paused"
        assert run_hotline(url, "operators", "unpause", "op.cli")[0] == 0
        assert member()["state"] != "paused"
        code, _, err = run_hotline(url, "operators", "screen", "op.cli")
        assert code == 1 and "no call connected" in err
    finally:
        assert run_hotline(url, "operators", "logout", "op.cli")[0] == 0
    code, out, _ = run_hotline(url, "queue", "status", "--json")
    assert all(m["name"] != "op.cli" for m in json.loads(out)["operators"])


async def test_caller_keeps_waiting_after_the_target_and_is_answered_late(
    engine: Engine, operator_pool: list[str]
) -> None:
    # The only operator is on a break; the target passes; the caller presses 2 (keep
    # waiting); the operator comes back meanwhile and answers on the second round.
    await add_operator(engine, operator_pool, "op.late", answer_after=1, handling=2)
    await ops.pause(engine.ami, engine.operators, engine.settings, "op.late", True)
    events = QueueEvents(engine.db)

    async def back_from_break() -> None:
        while True:
            rows = await events.since_kind(QueueEventKind.TIMEOUT)
            if rows:
                await ops.pause(engine.ami, engine.operators, engine.settings, "op.late", False)
                return
            await asyncio.sleep(0.2)

    async with simulator(engine.settings) as (sim, _log, _ami):
        waiter = asyncio.create_task(back_from_break())
        transcript = await sim.run("0|2", CALLER)
        async with asyncio.timeout(5):
            await waiter
    kinds = await queue_kinds(engine, transcript.uniqueid)
    assert kinds[0] is QueueEventKind.JOIN
    assert kinds.index(QueueEventKind.TIMEOUT) < kinds.index(QueueEventKind.CONNECT), kinds
    assert kinds.count(QueueEventKind.JOIN) == 2 and QueueEventKind.COMPLETE in kinds

    report = await build_report(
        engine.db,
        engine.settings,
        datetime.now(UTC) - timedelta(minutes=10),
        datetime.now(UTC) + timedelta(minutes=1),
        include_simulated=True,
    )
    (queued,) = report.calls
    assert queued.answered and not queued.within_target and queued.wait > TARGET
    assert report.kpi("service_level").value == 0.0 and report.lost == 0
