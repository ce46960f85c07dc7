"""Two engine workers (``hotline run`` processes) on one PostgreSQL database share a campaign
on the sandbox's simulated carrier (issue 20 items 2 and 3): every number is dialled exactly
once (Asterisk's own count), the calls-per-second cap holds across both, and when one worker
is killed mid-campaign the other adopts its calls and finishes the campaign."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import bindparam, text

from dialer.model import CampaignRules
from dialer.repository import AttemptRecord, DialerStore
from dialer.repository.records import INFLIGHT
from hotline.app import resolve_ami_secret
from hotline.core.clock import utc_now
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.db import Database
from hotline.transport.ami import AmiClient
from tests.dialer_support import running_campaign, wait_finished
from tests.e2e.engine_support import count_carrier_calls, engine_process, engine_settings
from tests.store.conftest import PG_TEST_URL, clean_postgres

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

# Low enough that two workers pacing alone would go over it even on a loaded 2-core machine.
CPS = 5.0
DIALER = {
    "tick_seconds": 0.2,
    "calls_per_second": CPS,
    "ring_seconds": 4.0,
    "same_number_gap_seconds": 3600.0,
    "trunk_channels": 40,
}
WORKERS = {"heartbeat_seconds": 0.5, "dead_after_seconds": 3.0}
ALWAYS = "00:00-24:00"
RULES = CampaignRules(
    max_attempts=1,
    max_channels=40,
    weekday_hours=ALWAYS,
    saturday_hours=ALWAYS,
    sunday_hours=ALWAYS,
    holiday_hours=ALWAYS,
)


def contacts() -> list[str]:
    """100 numbers: most end at once on the carrier (4 busy, 6 congestion, 8 unallocated);
    every fifth rings unanswered for ``ring_seconds`` (in flight when a worker dies)."""
    return [f"+79132{i:05d}{5 if i % 5 == 0 else (4, 6, 8)[i % 3]}" for i in range(100)]


def rings(attempt: AttemptRecord) -> bool:
    """Sent to a number the carrier lets ring for ``ring_seconds`` (see ``contacts``)."""
    return attempt.sent and attempt.phone.endswith("5")


def fresh(attempt: AttemptRecord) -> bool:
    """Written within the first half of its ring: most of ``ring_seconds`` still to go."""
    return utc_now() - attempt.created_at < dt.timedelta(seconds=DIALER["ring_seconds"] / 2)


def worker(
    settings: Settings, name: str, fastagi_port: int
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    sets = {
        **{f"dialer.{k}": v for k, v in DIALER.items()},
        **{f"workers.{k}": v for k, v in WORKERS.items()},
        "workers.name": name,
        "fastagi.port": fastagi_port,
        "metrics.enabled": "false",
    }
    return engine_process(settings, sets, name=f"engine-{name}")


async def settled_by(db: Database, name: str) -> int:
    """How many calls ``name`` dialled and settled itself (adoption never takes these)."""
    async with db.session() as session:
        query = text(
            "SELECT count(*) FROM dial_attempts WHERE worker = :name AND status NOT IN :inflight"
        ).bindparams(bindparam("inflight", expanding=True))
        found = await session.execute(query, {"name": name, "inflight": list(INFLIGHT)})
        return int(found.scalar_one())


def busiest_second(stamps: list[float]) -> int:
    """The most calls Asterisk saw begin within any one second."""
    ordered = sorted(stamps)
    most, start = 0, 0
    for end, stamp in enumerate(ordered):
        while stamp - ordered[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_two_workers_share_a_campaign_and_one_takes_over(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    await clean_postgres(PG_TEST_URL)
    settings = engine_settings(tmp_path / "unused.db", store={"url": PG_TEST_URL}, dialer=DIALER)
    phones = contacts()
    db = Database(settings.database_url)
    store = DialerStore(db)
    await db.upgrade()
    cid = (await running_campaign(store, tmp_path, phones, rules=RULES)).id
    # Asterisk's own count of calls to each number, and when each began.
    ami = AmiClient(settings.ami, resolve_ami_secret(settings))
    events = ami.subscribe(["Newchannel"])
    dialled: Counter[str] = Counter()
    stamps: list[float] = []

    try:
        async with ami:
            counter = asyncio.create_task(count_carrier_calls(events, dialled, stamps))
            # w1 serves the dialplan's FastAGI port; w2 listens elsewhere (any free port).
            with worker(settings, "w1", settings.fastagi.port) as first, worker(settings, "w2", 0):
                async with asyncio.timeout(60):
                    # A quarter dialled and a call w1 settled itself: these stay true.
                    while not (
                        await settled_by(db, "w1") and len(await store.attempts_detail(cid)) >= 25
                    ):
                        await asyncio.sleep(0.05)
                    # Then, last before the kill, a call w1 sent (not just wrote: issue 19) to
                    # a number that rings for ring_seconds, sent recently enough to be still
                    # ringing when the kill lands (a busy machine stretches each look), and
                    # seen by Asterisk: one only marked sent may be killed before its
                    # Originate, and is then rightly given back, not adopted (traces.py).
                    while not any(
                        rings(a) and fresh(a) and dialled[a.phone]
                        for a in await store.inflight("w1")
                    ):
                        await asyncio.sleep(0.05)
                first.send_signal(signal.SIGKILL)
                first.wait(10)
                # What w1 left in flight when it died (a call it had settled between the look
                # above and the kill stays its own); w2 adopts only after w1's heartbeat ages.
                orphans = await store.inflight("w1")
                finished = await wait_finished(store, "test", within=120)
            await asyncio.sleep(0.5)
            counter.cancel()
        attempts = await store.attempts_detail(finished.id)
        targets = await store.targets_detail(finished.id)
        left = await store.inflight()
        async with db.session() as session:
            rows = (await session.execute(text("SELECT id, worker FROM dial_attempts"))).all()
        owner = {str(row[0]): str(row[1]) for row in rows}
    finally:
        await db.dispose()
    assert left == []
    assert set(owner.values()) == {"w1", "w2"}  # both dialled
    # w1's calls in flight when it was killed were adopted by w2 and settled by it; attempts
    # w1 had written and not sent yet, or marked sent and killed before their Originate (w2
    # saw no channel of them: dialer/traces.py), were withdrawn (gone) and their numbers
    # dialled later.
    assert any(a.sent for a in orphans)  # w1 died with a call ringing
    assert "w2" in {owner.get(a.id) for a in orphans if a.sent}
    assert all(owner.get(a.id, "w2") == "w2" for a in orphans)
    assert all(t["state"] == "done" and t["result"] for t in targets)
    # One call per number, on the store's side and on Asterisk's.
    assert Counter(a["phone"] for a in attempts) == Counter(phones)
    assert dialled == Counter(phones)
    # Both workers together stayed within the cap (one second of slack for event delivery).
    assert busiest_second(stamps) <= CPS + 3
