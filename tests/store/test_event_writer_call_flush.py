"""A call's end waits for its own events, not for everyone's (issue 19 item 1): ``CallLog.ended``
(its webhook reports the path noted so far) and the IVR's hand-back flushed the whole event
writer, one batch of every call's events per hang-up under load; now the IVR waits only when an
event of that call is not committed yet, and the end only for the kinds its webhook reports
(the path, accounts, queue: not the last prompt a level noted at the hang-up).  On SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, EventKind
from hotline.store.event_writer import EventWriter
from hotline.store.models import WebhookEventRow

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
async def lingering(db: Database) -> AsyncIterator[tuple[CallLog, EventWriter]]:
    """A writer whose batches wait an hour for more events: only a flush commits them."""
    await db.upgrade()
    writer = EventWriter(db, linger=3600.0)
    log = CallLog(db, writer)
    task = asyncio.create_task(writer.run())
    try:
        yield log, writer
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def _path_reported(db: Database, uniqueid: str) -> list[str]:
    async with db.session() as session:
        for body in (await session.scalars(select(WebhookEventRow.body))).all():
            data: dict[str, Any] = (body if isinstance(body, dict) else json.loads(body))["data"]
            if data["uniqueid"] == uniqueid:
                return list(data["ivr_path"])
    raise AssertionError(f"no webhook event for {uniqueid}")


async def _values(log: CallLog, uniqueid: str) -> list[str]:
    record = await log.get(uniqueid=uniqueid)
    assert record is not None
    return [event.value for event in record.events]


async def test_an_end_with_its_events_committed_leaves_the_others_batch_alone(
    lingering: tuple[CallLog, EventWriter], db: Database
) -> None:
    log, writer = lingering
    for uniqueid in ("a.1", "b.1"):
        await log.open(uniqueid=uniqueid, direction=CallDirection.INBOUND, caller="+79131234567")
    await log.note("a.1", EventKind.NODE, "main")
    await log.flush()  # a.1's path is committed
    await log.note("b.1", EventKind.NODE, "main")  # b.1's waits in the lingering batch
    assert writer.pending_for("b.1") and not writer.pending_for("a.1")
    async with asyncio.timeout(10):
        await log.ended("a.1", at=NOW)
        await log.flush("a.1")  # the IVR's hand-back: nothing of a.1's left
    assert await _path_reported(db, "a.1") == ["main"]
    assert await _values(log, "b.1") == []  # still in its batch: no flush was forced
    assert writer.pending_for("b.1")
    await log.flush("b.1")
    assert await _values(log, "b.1") == ["main"]


async def test_an_end_waits_for_its_own_events(
    lingering: tuple[CallLog, EventWriter], db: Database
) -> None:
    log, writer = lingering
    await log.open(uniqueid="c.1", direction=CallDirection.INBOUND, caller="+79131234567")
    await log.note("c.1", EventKind.NODE, "main")
    await log.note("c.1", EventKind.NODE, "readings")
    assert writer.pending_for("c.1")
    async with asyncio.timeout(10):
        await log.ended("c.1", at=NOW)
    assert await _path_reported(db, "c.1") == ["main", "readings"]
    assert not writer.pending_for("c.1")


async def test_events_held_for_their_row_are_pending(
    lingering: tuple[CallLog, EventWriter],
) -> None:
    log, writer = lingering
    await log.note("d.1", EventKind.NODE, "main")  # no row for d.1: held once written
    async with asyncio.timeout(10):
        await log.flush()
    assert writer.held == 1
    assert writer.pending_for("d.1")
    assert not writer.pending_for("e.1")


async def test_an_end_does_not_wait_for_events_its_webhook_does_not_report(
    lingering: tuple[CallLog, EventWriter], db: Database
) -> None:
    log, writer = lingering
    await log.open(uniqueid="f.1", direction=CallDirection.INBOUND, caller="+79131234567")
    await log.note("f.1", EventKind.NODE, "main")
    await log.flush()
    # What a level notes at the hang-up: the prompt heard, the caller's hang-up.
    await log.note("f.1", EventKind.PROMPT, "menu.main")
    await log.note("f.1", EventKind.STATUS, "caller hung up")
    async with asyncio.timeout(10):
        await log.ended("f.1", at=NOW)
    assert await _path_reported(db, "f.1") == ["main"]
    assert await _values(log, "f.1") == ["main"]  # the two still in their batch
    assert writer.pending_for("f.1", {EventKind.PROMPT})
    assert not writer.pending_for("f.1", {EventKind.NODE, EventKind.QUEUE})
    await log.flush("f.1")
    assert await _values(log, "f.1") == ["main", "menu.main", "caller hung up"]
