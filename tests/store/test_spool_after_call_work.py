"""Issue 21 (the held-writes spool): after-call work begins with the queue pausing the operator
(AMI), then the store records it (the operator paused, the pause row with its end).  When the
store went away between the two, the record was lost and nothing ever ended the pause: the
operator stayed paused in the queue.  Now the record is held, spooled to local disk, written
once the store is back (also by an engine started after one killed during the outage, and not
twice), and the expiry then ends the pause in the queue.  On SQLite and PostgreSQL.

Checked against the old code: ``start_wrapup`` took no ``held`` (raised the store's error
after the pause) and no pause row was ever written, so the expiry never unpaused the
operator."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hotline.contact_center import desk
from hotline.settings import Settings, load_settings
from hotline.store.db import Database
from hotline.store.desk import DeskStore
from hotline.store.held_spool import HeldSpool
from hotline.store.operators import Operators
from tests.held_support import writing
from tests.store.test_soak_event_outbox import Flaky

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


@dataclass
class PausingAmi:
    """The queue pauses the operator; the store goes away right then."""

    flaky: Flaky
    pauses: list[tuple[str, bool, str | None]] = field(default_factory=list)
    connected: bool = True

    async def queue_pause(
        self, queue: str, interface: str, paused: bool, reason: str | None = None
    ) -> None:
        self.pauses.append((interface, paused, reason))
        if paused:
            self.flaky.down = True


async def until_recorded(settings: Settings, flaky: Flaky) -> None:
    held = desk.held_wrapups(flaky, settings)  # type: ignore[arg-type]
    async with writing(held):
        async with asyncio.timeout(60):  # a generous bound on a loaded machine, not a measure
            while await DeskStore(flaky.db).pauses(T0, T0 + timedelta(hours=1)) == [] or held.held:
                await asyncio.sleep(0.05)


async def test_after_call_work_refused_after_the_pause_survives_a_kill_and_ends(
    db: Database, tmp_path: Path
) -> None:
    await db.upgrade()
    settings = load_settings(overrides={"held_writes": {"spool_dir": str(tmp_path / "held")}})
    operators = Operators(db)
    await operators.add("anna", "PJSIP/anna")
    await operators.set_state("anna", logged_in=True)
    flaky = Flaky(db)
    ami = PausingAmi(flaky)
    held = desk.held_wrapups(flaky, settings)  # type: ignore[arg-type]
    async with writing(held):
        started = await desk.start_wrapup(ami, flaky, settings, "anna", T0, held=held)  # type: ignore[arg-type]
        assert started is None and held.held == 1
    # Killed; the store comes back; the next engine records it from the spool.
    flaky.down = False
    assert await DeskStore(db).open_pause("anna") is None
    await until_recorded(settings, flaky)
    [pause] = await DeskStore(db).pauses(T0, T0 + timedelta(hours=1))
    assert (pause.reason, pause.started_at) == (desk.WRAPUP_REASON, T0)
    assert pause.until == T0 + timedelta(seconds=settings.desk.wrapup_seconds)
    assert (await operators.get("anna")).paused
    # Its time passed during the outage: the expiry ends it in the queue at once.
    ended = await desk.expire_wrapups(ami, db, settings, T0 + timedelta(minutes=30))  # type: ignore[arg-type]
    assert ended == ["anna"]
    assert ami.pauses == [("PJSIP/anna", True, desk.WRAPUP_REASON), ("PJSIP/anna", False, None)]
    assert not (await operators.get("anna")).paused
    # Replayed once more (killed before the spool's delete): no second pause.
    again = desk.held_wrapups(flaky, settings)  # type: ignore[arg-type]
    spool = HeldSpool.from_settings(settings, desk.WRAPUP_SPOOL)
    await spool.put([("again", desk.Wrapup("anna", T0, pause.until).to_json())], "test")
    async with writing(again):
        async with asyncio.timeout(60):
            while await spool.entries():
                await asyncio.sleep(0.05)
    assert len(await DeskStore(db).pauses(T0, T0 + timedelta(hours=1))) == 1
