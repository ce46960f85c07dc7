"""Issue 21 (the held-writes spool): the voice-quality tracker wrote each leg's measurement
once, and one the store refused (an outage) was logged and lost.  Now it is held, spooled to
local disk before the tracker goes on, and written once the store is back, also by an engine
started after one killed during the outage, and not twice.  On SQLite and PostgreSQL.

Checked against the old code: ``CallQualityStore.add`` raised the store's error and the
measurement never reached the store."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hotline.dialplan.names import QualityLeg
from hotline.store.db import Database
from hotline.store.held_spool import HeldSpool
from hotline.store.quality import SPOOL, CallQualityStore, QualityRecord
from tests.store.test_soak_event_outbox import Flaky

T0 = datetime(2026, 12, 4, 9, 0, 1, 5000, tzinfo=UTC)
CALLER_LEG = QualityRecord(
    T0, "9.1", "PJSIP/hotline-carrier-00000009", 900, 880, 40, 2, 0.043, 31.5, 120.0,
    ("loss", "jitter"), QualityLeg.CALLER, "9.1",
)  # fmt: skip
OPERATOR_LEG = QualityRecord(
    T0 + timedelta(seconds=1), "9.2", "PJSIP/op1-0000000a", 900, 900, 0, 0, 0.0, 2.0, 4.0, (),
    QualityLeg.OPERATOR, "9.1",
)  # fmt: skip


@contextlib.asynccontextmanager
async def writing(store: CallQualityStore) -> AsyncIterator[CallQualityStore]:
    """The tracker's task writing held rows; leaving the block kills it (no stop)."""
    task = asyncio.create_task(store.write_held_rows())
    try:
        yield store
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def stored(db: Database) -> list[QualityRecord]:
    return await CallQualityStore(db).between(T0 - timedelta(hours=1), T0 + timedelta(hours=1))


async def test_measurements_refused_in_an_outage_survive_a_kill(
    db: Database, tmp_path: Path
) -> None:
    await db.upgrade()
    flaky = Flaky(db)
    flaky.down = True
    path = tmp_path / "held" / f"{SPOOL}.sqlite"
    spool = HeldSpool(path, 1 << 20)
    async with writing(CallQualityStore(flaky, spool)) as store:  # type: ignore[arg-type]
        await store.add(CALLER_LEG)
        await store.add(OPERATOR_LEG)
        assert store.held == 2
    spool.close()
    assert path.stat().st_mode & 0o777 == 0o600
    assert await stored(db) == []

    flaky.down = False
    for _run in range(2):  # the second: replayed again, as if killed before the delete
        spool = HeldSpool(path, 1 << 20)
        if _run:
            await spool.put([("again", {**CALLER_LEG.__dict__, "at": T0.isoformat(),
                                        "leg": CALLER_LEG.leg.value})], "test")  # fmt: skip
        async with writing(CallQualityStore(flaky, spool)):  # type: ignore[arg-type]
            async with asyncio.timeout(60):  # generous on a loaded machine, not a measure
                while await spool.entries():
                    await asyncio.sleep(0.05)
        spool.close()
    assert await stored(db) == [CALLER_LEG, OPERATOR_LEG]
