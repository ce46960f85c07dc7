"""Issue 21 through the real Asterisk: the store (a private PostgreSQL) is stopped, a SIP caller
calls and hangs up, the engine is SIGKILLed, the store comes back and the engine starts again:
the call's row and its IVR events are in the call log exactly once.  Before the held-writes
spool the tracker and the event writer held them in memory only, and the kill lost them (the
round-4 soak's 7 inbound CDRs without a row).

Checked against the old code: no spool file is written (the wait for it times out), and after
the restart the store has no row for the call."""

from __future__ import annotations

import asyncio
import signal
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.held_spool import CALL_EVENTS, CALL_TRACKER, HeldSpool
from hotline.store.models import Call
from tests.chaos_pg import NO_SERVER, private_postgres
from tests.e2e.engine_support import engine_process, engine_settings, wait_for_port
from tests.e2e.sipp_ports import own_ports

pytestmark = [pytest.mark.e2e, NO_SERVER]

SCENARIO = Path(__file__).parent / "sipp" / "caller_hangs_up.xml"
CALLER = "79131234567"
DIALED = "88005553535"
HOLD_MS = 3000
# Generous bounds on a loaded machine, not measures.
WITHIN = 90.0


async def ami_logged_in(settings: Settings) -> None:
    """The engine process is logged in to AMI (its tracker sees calls from here on)."""
    url = f"http://{settings.metrics.host}:{settings.metrics.port}/metrics"

    def connected() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                text = reply.read().decode()
        except OSError:
            return False
        return any(
            line.startswith("hotline_ami_connected") and line.endswith(" 1.0")
            for line in text.splitlines()
        )

    async with asyncio.timeout(WITHIN):
        while not await asyncio.to_thread(connected):
            await asyncio.sleep(0.2)


async def spooled(spool: HeldSpool, prefix: str, field: str | None = None) -> list[str]:
    """The spool's keys starting ``prefix`` once there is one (with ``field`` set)."""
    async with asyncio.timeout(WITHIN):
        while True:
            if spool.path.exists():
                entries = await spool.entries()
                keys = [k for k, v in entries if k.startswith(prefix) and (not field or v[field])]
                if keys:
                    return keys
            await asyncio.sleep(0.2)


async def test_a_call_held_through_an_outage_survives_a_sigkill(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test's own spool folder, for the engine process too (it inherits the environment).
    monkeypatch.setenv("HOTLINE_HELD_WRITES__SPOOL_DIR", str(tmp_path / "held"))
    with private_postgres() as server:
        settings = engine_settings(tmp_path / "unused.db", store={"url": server.url})
        db = Database(settings.database_url)
        await db.upgrade()
        await db.dispose()
        tracker_spool = HeldSpool.from_settings(settings, CALL_TRACKER)
        events_spool = HeldSpool.from_settings(settings, CALL_EVENTS)
        scenario = await asyncio.to_thread(sandbox.stage_file, SCENARIO)
        argv = [
            sandbox.sipp_path,
            f"{settings.sandbox.sip_host}:{settings.sandbox.sip_port}",
            "-sf", scenario,
            "-key", "caller", CALLER,
            "-d", str(HOLD_MS),
            "-s", DIALED,
            "-i", "127.0.0.1",
            *own_ports(settings),
            "-m", "1",
            "-timeout", "30",
            "-timeout_error",
            "-nostdin",
        ]  # fmt: skip
        with engine_process(settings) as first:
            await wait_for_port(settings.fastagi.host, settings.fastagi.port)
            await ami_logged_in(settings)
            await asyncio.to_thread(server.stop)
            sipp = await asyncio.to_thread(sandbox.run_in_chroot, argv, 60.0)
            assert sipp.returncode == 0, sipp.stdout[-1500:] + sandbox.log_tail(30)
            # The row held with its end, and the IVR's events, are on disk: kill.
            [row_key] = await spooled(tracker_spool, "row:", "ended_at")
            await spooled(events_spool, "")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        uniqueid = row_key.removeprefix("row:")
        held_events = [v for _k, v in await events_spool.entries() if v["uniqueid"] == uniqueid]
        assert held_events, "the IVR's events for the call were spooled"

        await asyncio.to_thread(server.start)
        db = Database(settings.database_url)
        try:
            with engine_process(settings):
                async with asyncio.timeout(WITHIN):
                    while await tracker_spool.entries() or await events_spool.entries():
                        await asyncio.sleep(0.2)
            record = await CallLog(db).get(uniqueid=uniqueid)
            async with db.session() as session:
                rows = await session.scalar(
                    select(func.count()).select_from(Call).where(Call.caller == CALLER)
                )
        finally:
            await db.dispose()
            tracker_spool.close()
            events_spool.close()

    assert rows == 1
    assert record is not None and (record.caller, record.callee) == (CALLER, DIALED)
    assert record.answered_at is not None and record.ended_at is not None
    written = [(e.at.isoformat(), e.kind, e.value) for e in record.events]
    assert len(written) == len(set(written)), written  # none twice
    assert sorted(written) == sorted((e["at"], e["kind"], e["value"]) for e in held_events)
    assert record.path[0] == "greeting"
    assert (tmp_path / "held").stat().st_mode & 0o777 == 0o700
