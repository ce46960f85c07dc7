"""Issue 21 (the held-writes spool): an operator's transfer is audited once Asterisk has carried
it out; when the store refused that entry, the entry was lost and the console answered with its
503 page for a transfer that had happened (the operator would try again).  With the console's
held audit entries, the transfer is returned as done and its entry is held, spooled, and
written once the store is back, also by a console started after one killed meanwhile, and not
twice.  On SQLite and PostgreSQL.

Checked against the old code: ``transfer_call`` took no ``audit`` and raised the store's error
after the Redirect; no entry of the transfer ever reached the store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hotline.contact_center.transfers import TRANSFER_ACTION, transfer_call
from hotline.settings import load_settings
from hotline.store.audit import AuditLog
from hotline.store.db import Database
from hotline.store.held_audit import SPOOL, held_audit
from hotline.store.held_spool import HeldSpool
from hotline.store.models.transfers import TransferKind, TransferTarget
from hotline.store.transfers import Transfers
from tests.held_support import writing
from tests.store.test_desk_transfers import BY, UNIQUEID, StubAmi, call_in_progress
from tests.store.test_soak_event_outbox import Flaky


class RedirectThenOutage(StubAmi):
    """Asterisk redirects the caller; the store goes away right then."""

    def __init__(self, flaky: Flaky) -> None:
        super().__init__()
        self.flaky = flaky

    async def action(self, headers: dict[str, Any]) -> dict[str, str]:
        if headers["Action"] == "Redirect":
            self.flaky.down = True
        return await super().action(headers)


async def test_a_transfer_done_while_the_store_went_away_is_audited_once(
    db: Database, tmp_path: Path
) -> None:
    await db.upgrade()
    settings = load_settings(overrides={"held_writes": {"spool_dir": str(tmp_path / "held")}})
    call_id = await call_in_progress(db, datetime.now(UTC))
    flaky = Flaky(db)
    held = held_audit(flaky, settings)  # type: ignore[arg-type]
    async with writing(held):
        record = await transfer_call(
            RedirectThenOutage(flaky),  # type: ignore[arg-type]
            flaky,  # type: ignore[arg-type]
            settings,
            "anna",
            TransferKind.BLIND,
            TransferTarget.QUEUE,
            "dispatcher",
            "авария",
            BY,
            audit=held,
        )
        assert record.uniqueid == UNIQUEID and held.held == 1
    # Killed; the store comes back; the next console writes the entry from the spool.
    flaky.down = False
    assert await AuditLog(db).entries(action=TRANSFER_ACTION) == []
    assert [t.id for t in await Transfers(db).for_uniqueid(UNIQUEID)] == [record.id]
    spool = HeldSpool.from_settings(settings, SPOOL)
    [(_key, payload)] = await spool.entries()

    async def until_spool_empty() -> None:
        async with asyncio.timeout(60):  # a generous bound on a loaded machine, not a measure
            while await spool.entries():
                await asyncio.sleep(0.05)

    async with writing(held_audit(flaky, settings)):  # type: ignore[arg-type]
        await until_spool_empty()
    [entry] = await AuditLog(db).entries(action=TRANSFER_ACTION)
    assert (entry.actor, entry.channel, entry.target) == ("anna", "web", call_id)
    assert entry.detail == {
        "kind": "blind", "target_kind": "queue", "target": "dispatcher", "reason": "авария",
    }  # fmt: skip

    # Replayed once more (killed before the spool's delete): not written twice.
    await spool.put([("again", payload)], "test")
    async with writing(held_audit(db, settings)):
        await until_spool_empty()
    spool.close()
    assert len(await AuditLog(db).entries(action=TRANSFER_ACTION)) == 1
