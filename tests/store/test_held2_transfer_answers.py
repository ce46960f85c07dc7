"""Issue 21 (the held-writes spool): the transfer tracker wrote a transferred call's answer (and a
named specialist's connect, their screen pop) once, and one the store refused was logged
("transfer tracker failed on DialEnd") and lost: the transfer stayed unanswered in the report.
Now a refused answer is held, spooled to local disk before the tracker goes on, and written once
the store is back, also by an engine started after one killed during the outage; a replayed
answer already committed marks no second transfer and adds no second connect.  On SQLite and
PostgreSQL.

Checked against the old code: ``TransferTracker`` took no spool and ``handle`` raised the
store's error; no answer of the outage ever reached the store."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hotline.contact_center.transfers import SPOOL, TransferAnswer, TransferTracker
from hotline.dialplan.names import CONTEXT_TRANSFER
from hotline.protocol.ami import AmiEvent
from hotline.store.db import Database
from hotline.store.enums import QueueEventKind
from hotline.store.held_spool import HeldSpool
from hotline.store.models.transfers import TransferKind, TransferTarget
from hotline.store.queue_events import QueueEvents
from hotline.store.transfers import TransferRecord, Transfers
from hotline.transport.ami import Subscription
from tests.store.test_soak_event_outbox import Flaky

UNIQUEID = "1733300000.7"
ANSWERED = AmiEvent.from_headers(
    [("Event", "DialEnd"), ("Uniqueid", UNIQUEID), ("DialStatus", "ANSWER"),
     ("Context", CONTEXT_TRANSFER)]
)  # fmt: skip


class FailsOnce(Flaky):
    """The store goes away after ``fine`` more units of work, for one."""

    def __init__(self, db: Database, fine: int) -> None:
        super().__init__(db)
        self.fine = fine

    def session(self) -> Any:
        self.fine -= 1
        if self.fine == -1:
            self.down = True
        try:
            return super().session()
        finally:
            self.down = False


def tracker_on(db: Flaky | Database, spool: HeldSpool) -> TransferTracker:
    store: Any = db
    return TransferTracker(Subscription(None, 10), Transfers(store), QueueEvents(store), spool)


@contextlib.asynccontextmanager
async def writing(tracker: TransferTracker) -> AsyncIterator[TransferTracker]:
    """The tracker's writer of held answers; leaving the block kills it (no stop)."""
    task = asyncio.create_task(tracker.write_held_rows())
    try:
        yield tracker
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def two_transfers(db: Database) -> tuple[TransferRecord, TransferRecord]:
    """An older transfer nobody answered, then one to the specialist nina: the one answered.
    A replay that marked "the latest unanswered" again would mark the older one."""
    now = datetime.now(UTC)
    transfers = Transfers(db)
    older = await transfers.add(
        now - timedelta(seconds=40), None, UNIQUEID, "anna", TransferKind.BLIND,
        TransferTarget.QUEUE, "dispatcher", "не ответили",
    )  # fmt: skip
    newer = await transfers.add(
        now - timedelta(seconds=5), None, UNIQUEID, "anna", TransferKind.BLIND,
        TransferTarget.OPERATOR, "nina", "к специалисту",
    )  # fmt: skip
    return older, newer


async def connects(db: Database) -> list[str | None]:
    events = await QueueEvents(db).for_uniqueid(UNIQUEID)
    return [e.member for e in events if e.kind is QueueEventKind.CONNECT]


async def until_written(db: Database, spool: HeldSpool) -> None:
    async with asyncio.timeout(60):  # a generous bound on a loaded machine, not a measure
        while await spool.entries() or not await connects(db):
            await asyncio.sleep(0.05)


async def test_an_answer_refused_in_an_outage_survives_a_kill(
    db: Database, tmp_path: Path
) -> None:
    await db.upgrade()
    older, newer = await two_transfers(db)
    flaky = Flaky(db)
    flaky.down = True
    path = tmp_path / "held" / f"{SPOOL}.sqlite"
    spool = HeldSpool(path, 1 << 20)
    async with writing(tracker_on(flaky, spool)) as tracker:
        await tracker.handle(ANSWERED)
        assert tracker.held == 1
    spool.close()  # killed: no stop
    assert path.stat().st_mode & 0o777 == 0o600
    assert all(t.answered_at is None for t in await Transfers(db).for_uniqueid(UNIQUEID))

    flaky.down = False
    spool = HeldSpool(path, 1 << 20)
    async with writing(tracker_on(flaky, spool)):
        await until_written(db, spool)
    [first, second] = await Transfers(db).for_uniqueid(UNIQUEID)
    assert (first.id, first.answered_at) == (older.id, None)
    assert second.id == newer.id and second.answered_by == "nina"
    assert second.answered_at is not None
    assert await connects(db) == ["nina"]

    # Replayed once more (killed before the spool's delete): nothing is written twice.
    answer = TransferAnswer(UNIQUEID, second.answered_at, None)
    await spool.put([("again", answer.to_json())], "test")
    async with writing(tracker_on(db, spool)):
        async with asyncio.timeout(60):
            while await spool.entries():
                await asyncio.sleep(0.05)
    spool.close()
    assert await Transfers(db).for_uniqueid(UNIQUEID) == [first, second]
    assert await connects(db) == ["nina"]


async def test_an_answer_whose_connect_was_refused_is_completed_once(
    db: Database, tmp_path: Path
) -> None:
    """The answer committed, then the store went away before the specialist's connect: the
    held answer, written again, adds the connect and marks no other transfer."""
    await db.upgrade()
    older, newer = await two_transfers(db)
    spool = HeldSpool(tmp_path / "held" / f"{SPOOL}.sqlite", 1 << 20)
    async with writing(tracker_on(FailsOnce(db, 1), spool)) as tracker:
        await tracker.handle(ANSWERED)
        await until_written(db, spool)
    spool.close()
    [first, second] = await Transfers(db).for_uniqueid(UNIQUEID)
    assert (first.id, first.answered_at) == (older.id, None)
    assert (second.id, second.answered_by) == (newer.id, "nina")
    assert await connects(db) == ["nina"]
