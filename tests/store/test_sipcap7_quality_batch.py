"""Issue 19 item 1 (hang-up bursts): every SIP leg's voice quality (R-135) was stored in a
transaction of its own as its hang-up's event came, so a burst of hang-ups queued one commit
per leg behind the others.  The tracker now stores the events waiting together in one
transaction, and a batch the store refuses is held and spooled whole, in order, and written
once the store is back.  On SQLite and PostgreSQL.

Checked against the old code: the burst took one transaction per leg (three here)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hotline.contact_center.quality import QualityTracker
from hotline.settings.desk import QualitySettings
from hotline.store.db import Database
from hotline.store.held_spool import HeldSpool
from hotline.store.quality import SPOOL, CallQualityStore, QualityRecord
from hotline.transport.ami import Subscription
from tests.store.test_desk_quality import GOOD, LOSSY, user_event
from tests.store.test_soak_event_outbox import Flaky

LEGS = ("7.1", "7.2", "7.3")


class Counted(Flaky):
    """The store's database, counting the transactions it opens."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.sessions = 0

    def session(self) -> Any:
        self.sessions += 1
        return super().session()


@contextlib.asynccontextmanager
async def tracking(store: CallQualityStore, burst: list[str]) -> AsyncIterator[QualityTracker]:
    """The tracker running, with the ``burst``'s hang-up events queued before it looks."""
    events = Subscription(None, 100)
    for n, uniqueid in enumerate(burst):
        events.offer(user_event(uniqueid, LOSSY if n % 2 else GOOD))
    tracker = QualityTracker(events, store, QualitySettings())
    task = asyncio.create_task(tracker.run())
    try:
        yield tracker
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def stored(db: Database) -> list[QualityRecord]:
    now = datetime.now(UTC)
    return await CallQualityStore(db).between(now - timedelta(hours=1), now + timedelta(hours=1))


async def until(condition: Any) -> None:
    async with asyncio.timeout(60):  # generous on a loaded machine, not a measure
        while not await condition():
            await asyncio.sleep(0.02)


async def test_a_burst_of_hang_ups_is_one_transaction(db: Database) -> None:
    await db.upgrade()
    counted = Counted(db)
    store = CallQualityStore(counted)  # type: ignore[arg-type]
    async with tracking(store, list(LEGS)):

        async def all_stored() -> bool:
            return len(await stored(db)) == len(LEGS)

        await until(all_stored)
    assert counted.sessions == 1
    rows = await stored(db)
    assert sorted(r.uniqueid for r in rows) == list(LEGS)
    assert [r.uniqueid for r in rows if r.flagged] == ["7.2"]


async def test_a_refused_burst_is_held_whole_and_written_once_back(
    db: Database, tmp_path: Path
) -> None:
    await db.upgrade()
    flaky = Flaky(db)
    flaky.down = True
    spool = HeldSpool(tmp_path / "held" / f"{SPOOL}.sqlite", 1 << 20)
    store = CallQualityStore(flaky, spool)  # type: ignore[arg-type]
    async with tracking(store, list(LEGS)):

        async def all_held() -> bool:
            return store.held == len(LEGS)

        await until(all_held)
        assert len(await spool.entries()) == len(LEGS)  # on disk before the tracker goes on
        assert await stored(db) == []
        flaky.down = False

        async def all_written() -> bool:
            return not await spool.entries() and store.held == 0

        await until(all_written)
    spool.close()
    rows = await stored(db)
    assert [r.uniqueid for r in rows] == list(LEGS)  # in the order they came
