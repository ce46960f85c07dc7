"""Issue 19 item 1: a call's writes (the call log, its batched events, its recording, its
voice quality) run statements built once, so SQLAlchemy generates no cache key per call (0.25
ms of CPU each on the engine's loop when they were built per call), and the prebuilt
statements keep what each write means."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.sql.cache_key import HasCacheKey

from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome, EventKind
from hotline.store.event_writer import EventWriter
from hotline.store.models import CallQuality
from hotline.store.quality import CallQualityStore, QualityRecord
from hotline.store.recordings import Recordings

CALLER = "79131234567"


@contextmanager
def cache_keys_made(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    made: list[str] = []
    generate = HasCacheKey._generate_cache_key

    def counted(self: Any) -> Any:
        made.append(type(self).__name__)
        return generate(self)

    monkeypatch.setattr(HasCacheKey, "_generate_cache_key", counted)
    yield made
    monkeypatch.undo()


async def lifecycle(call_log: CallLog, uniqueid: str) -> None:
    await call_log.open(uniqueid=uniqueid, direction=CallDirection.INBOUND, caller=CALLER)
    await call_log.calls_from(CALLER, excluding=uniqueid, up_to=1)
    await call_log.answered(uniqueid)
    await call_log.add_event(uniqueid, EventKind.ACCOUNT, "100001")
    await call_log.record_outcome(uniqueid, EventKind.NODE, "main", CallOutcome.COMPLETED)
    await call_log.ended(uniqueid, hangup_cause="16", outcome=CallOutcome.ABANDONED)


async def recorded_and_measured(
    call_log: CallLog, recordings: Recordings, quality: CallQualityStore, uniqueid: str
) -> None:
    """The rest of a call's writes: events through the batched writer, its recording indexed
    and completed at the hang-up, its voice quality."""
    for digit in "31*":
        await call_log.note(uniqueid, EventKind.DIGITS, digit)
    await call_log.flush()
    await recordings.started(uniqueid, f"/rec/{uniqueid}.wav", caller=CALLER)
    await recordings.index_soon(uniqueid, f"/rec/{uniqueid}-2.wav", caller=CALLER)
    found = await recordings.to_complete(uniqueid)
    record = found.recordings[0]
    await recordings.update(
        record.id, duration=2.0, operator=None, account=found.account, call_id=found.call_id
    )
    # As a hang-up burst completes them (recording_completion).
    (together,) = (await recordings.to_complete_many([uniqueid])).values()
    await recordings.update_many(
        [(r.id, {"duration": 2.0, "operator": None, "account": together.account,
                 "call_id": together.call_id}) for r in together.recordings]
    )  # fmt: skip
    at = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    await quality.add(QualityRecord(at, uniqueid, "PJSIP/x-1", 100, 100, 0, 0, 0.0, 1.0, 2.0, ()))
    await quality.add_many(
        [QualityRecord(at, uniqueid, f"PJSIP/x-{n}", 100, 100, 0, 0, 0.0, 1.0, 2.0, ())
         for n in (2, 3)]
    )  # fmt: skip


async def test_a_calls_writes_make_no_cache_key_once_warm(
    call_log: CallLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    await lifecycle(call_log, "1800000000.1")
    with cache_keys_made(monkeypatch) as made:
        await lifecycle(call_log, "1800000000.2")
    assert made == []


async def test_the_batched_events_recording_and_quality_make_no_cache_key_once_warm(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await db.upgrade()
    writer = EventWriter(db)
    task = asyncio.create_task(writer.run())
    try:
        call_log, recordings, quality = CallLog(db, writer), Recordings(db), CallQualityStore(db)
        for uniqueid in ("1800000000.5", "1800000000.6"):
            await call_log.open(uniqueid=uniqueid, direction=CallDirection.INBOUND)
        await recorded_and_measured(call_log, recordings, quality, "1800000000.5")
        with cache_keys_made(monkeypatch) as made:
            await recorded_and_measured(call_log, recordings, quality, "1800000000.6")
        assert made == []
        call = await call_log.get(uniqueid="1800000000.6")
        assert call is not None
        assert [e.value for e in call.events if e.kind == EventKind.DIGITS] == list("31*")
        rows = await recordings.for_uniqueid("1800000000.6")
        assert [(r.duration, r.account, r.call_id) for r in rows] == [(2.0, None, call.id)] * 2
        async with db.session() as session:
            measured = await session.scalar(
                select(func.count()).where(CallQuality.uniqueid == "1800000000.6")
            )
        assert measured == 3
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_the_prebuilt_writes_keep_first_wins(call_log: CallLog) -> None:
    await lifecycle(call_log, "1800000000.3")
    await call_log.answered("1800000000.3")  # a later answer does not move the first
    await call_log.set_outcome("1800000000.3", CallOutcome.OPERATOR, operator_reason="busy")
    await call_log.ended("1800000000.3", hangup_cause="17")  # ended before: the first cause
    call = await call_log.get(uniqueid="1800000000.3")
    assert call is not None
    assert call.outcome is CallOutcome.COMPLETED  # the first outcome, not the end's or later
    assert call.operator_reason is None
    assert call.hangup_cause == "16"
    assert call.answered_at is not None and call.ended_at is not None
    assert call.answered_at <= call.ended_at
    await call_log.set_outcome(
        "1800000000.3", CallOutcome.OPERATOR, operator_reason="busy", overwrite=True
    )
    call = await call_log.get(uniqueid="1800000000.3")
    assert call is not None
    assert (call.outcome, call.operator_reason) == (CallOutcome.OPERATOR, "busy")
    # An end with no outcome recorded takes the end's.
    await call_log.open(uniqueid="1800000000.4", direction=CallDirection.INBOUND)
    await call_log.ended("1800000000.4", hangup_cause="16", outcome=CallOutcome.ABANDONED)
    call = await call_log.get(uniqueid="1800000000.4")
    assert call is not None and call.outcome is CallOutcome.ABANDONED
