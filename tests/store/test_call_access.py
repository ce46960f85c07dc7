"""The call list (L5): filtered by operator in the query and only then limited, newest first,
so a busy period never hides the newest calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hotline.access import calls as call_access
from hotline.store.audit import Actor
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, QueueEventKind
from hotline.store.queue_events import QueueEventRecord, QueueEvents

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
WHO = Actor("boris", "web")


async def seed(db: Database) -> None:
    await db.upgrade()
    log, events = CallLog(db), QueueEvents(db)
    # Ten older calls answered by gleb, then three newer ones answered by anna.
    for n in range(13):
        uid, at = f"c.{n:02d}", T0 + timedelta(minutes=n)
        member = "gleb" if n < 10 else "anna"
        await log.open(uniqueid=uid, direction=CallDirection.INBOUND, started_at=at, caller="1")
        await events.add(QueueEventRecord(at, QueueEventKind.JOIN, uid, "q"))
        await events.add(QueueEventRecord(at, QueueEventKind.CONNECT, uid, "q", member=member))


async def test_the_limit_applies_after_the_filter_and_keeps_the_newest(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(db)
    monkeypatch.setattr(call_access, "MAX_CALLS", 5)
    end = T0 + timedelta(days=1)
    own = await call_access.visible_calls(db, T0, end, by=WHO, operator="anna")
    assert [c.uniqueid for c in own] == ["c.12", "c.11", "c.10"]
    every = await call_access.visible_calls(db, T0, end, by=WHO, operator=None)
    assert [c.uniqueid for c in every] == ["c.12", "c.11", "c.10", "c.09", "c.08"]
