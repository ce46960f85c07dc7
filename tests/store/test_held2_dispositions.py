"""Issue 21 (the held-writes spool): an operator's disposition submitted in the console while
the store refused the write was lost (the console answered 503; what the operator had picked
and typed was gone).  Now the console holds it, spooled to local disk before it answers, and
writes it with its audit entry (one unit of work) once the store is back, also from a console
started after one killed during the outage; a replayed pick already committed is not written
(or audited) twice, and never replaces a newer pick of the same call.  On SQLite and
PostgreSQL.

Checked against the old code: ``desk`` had no ``submit_disposition`` nor ``held_dispositions``
(``dispose`` raised the store's error); no pick of the outage ever reached the store."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.contact_center import desk
from hotline.core import metrics
from hotline.settings import Settings, load_settings
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database
from hotline.store.desk import DeskStore
from hotline.store.enums import QueueEventKind
from hotline.store.held_rows import Kept
from hotline.store.held_spool import HeldSpool
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from tests.held_support import writing
from tests.store.test_soak_event_outbox import Flaky

WHO = Actor("anna", "web", "127.0.0.1")
NOTE = "перезвонить после 18:00"
UNSPOOLED = "hotline_held_writes_unspooled_total"


def settings_in(tmp_path: Path, **held: object) -> Settings:
    return load_settings(overrides={"held_writes": {"spool_dir": str(tmp_path / "held"), **held}})


async def answered_by_anna(db: Database) -> None:
    await db.upgrade()
    at = datetime.now(UTC) - timedelta(minutes=2)
    connect = QueueEventRecord(at, QueueEventKind.CONNECT, "u1", "hotline", "anna")
    await QueueEvents(db).add(connect)


async def audited(db: Database) -> int:
    return len(await AuditLog(db).entries(action=desk.DISPOSE_ACTION))


async def until_spool_empty(spool: HeldSpool) -> None:
    async with asyncio.timeout(60):  # a generous bound on a loaded machine, not a measure
        while await spool.entries():
            await asyncio.sleep(0.05)


async def test_a_disposition_refused_in_an_outage_survives_a_kill(
    db: Database, tmp_path: Path
) -> None:
    await answered_by_anna(db)
    settings = settings_in(tmp_path)
    flaky = Flaky(db)
    flaky.down = True
    held = desk.held_dispositions(flaky, settings)  # type: ignore[arg-type]
    async with writing(held):
        # A pick the desk does not offer is refused at once, outage or not: nothing held.
        with pytest.raises(desk.DeskError):
            await desk.submit_disposition(held, settings, "anna", "u1", "x", "answered", None, WHO)
        kept = await desk.submit_disposition(
            held, settings, "anna", "u1", "general", "answered", NOTE, WHO
        )
        assert kept is Kept.SPOOLED and held.held == 1
    # Killed; the store comes back; the next console writes the pick from the spool.
    flaky.down = False
    assert await DeskStore(db).dispositions(["u1"]) == {}
    spool = HeldSpool.from_settings(settings, desk.DISPOSITION_SPOOL)
    [(_key, payload)] = await spool.entries()
    assert payload["note"] == NOTE
    async with writing(desk.held_dispositions(flaky, settings)):  # type: ignore[arg-type]
        await until_spool_empty(spool)
    stored = (await DeskStore(db).dispositions(["u1"]))["u1"]
    assert (stored.operator, stored.call_type, stored.result, stored.note) == (
        "anna", "general", "answered", NOTE,
    )  # fmt: skip
    assert await audited(db) == 1

    # Replayed once more (killed before the spool's delete): not written or audited twice.
    pick = desk.Disposition.from_json(dict(payload))
    await spool.put([("again", pick.to_json())], "test")
    async with writing(desk.held_dispositions(db, settings)):
        await until_spool_empty(spool)
    assert (await DeskStore(db).dispositions(["u1"]))["u1"] == stored
    assert await audited(db) == 1

    # The operator picked again since: an older pick replayed late does not replace it.
    await desk.dispose(db, settings, "anna", "u1", "readings", "readings_taken", None, WHO)
    older = replace(pick, result="redirected")
    await spool.put([("late", older.to_json())], "test")
    async with writing(desk.held_dispositions(db, settings)):
        await until_spool_empty(spool)
    spool.close()
    assert (await DeskStore(db).dispositions(["u1"]))["u1"].result == "readings_taken"
    assert await audited(db) == 2


async def test_a_pick_the_spool_cannot_take_is_said_to_be_in_memory_only(
    db: Database, tmp_path: Path
) -> None:
    """The console must not call it kept on disk: its answer differs (HELD_IN_MEMORY)."""
    await answered_by_anna(db)
    settings = settings_in(tmp_path, spool_max_mb=0.0001)  # about 100 bytes: nothing fits
    flaky = Flaky(db)
    flaky.down = True
    held = desk.held_dispositions(flaky, settings)  # type: ignore[arg-type]
    before = metrics.REGISTRY.get_sample_value(UNSPOOLED) or 0.0
    kept = await desk.submit_disposition(
        held, settings, "anna", "u1", "general", "answered", NOTE, WHO
    )
    assert kept is Kept.IN_MEMORY and held.held == 1
    assert metrics.REGISTRY.get_sample_value(UNSPOOLED) == before + 1
    flaky.down = False
    async with writing(held):
        async with asyncio.timeout(60):
            while held.held:
                await asyncio.sleep(0.05)
    assert (await DeskStore(db).dispositions(["u1"]))["u1"].note == NOTE
    assert await audited(db) == 1
