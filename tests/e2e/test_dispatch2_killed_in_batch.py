"""A worker killed inside a dispatcher tick loses no call (issue 19 item 4): ``hotline run``
w1 sends its first batch of attempts, commits its second and is SIGKILLed as it is about to
mark that batch's first attempt sent (a hook, not timing: tests/e2e/dispatch2_kill_hook.py).  The
attempts it wrote and never sent go back to their contacts when w2 adopts w1's attempts, and
every number is then dialled exactly once by Asterisk's own count."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from dialer.model import CampaignRules
from dialer.repository import DialerStore
from hotline.app import resolve_ami_secret
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.db import Database
from hotline.store.workers import WorkerRegistry
from hotline.transport.ami import AmiClient
from tests.dialer_support import running_campaign, wait_finished
from tests.e2e.engine_support import count_carrier_calls, engine_process, engine_settings
from tests.store.conftest import PG_TEST_URL, clean_postgres

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

# Pacing lets two calls out per 0.2 s tick: batches of two.
DIALER = {
    "tick_seconds": 0.2,
    "calls_per_second": 10.0,
    "ring_seconds": 4.0,
    "same_number_gap_seconds": 3600.0,
    "trunk_channels": 40,
}
WORKERS = {"heartbeat_seconds": 0.5, "dead_after_seconds": 3.0, "claim_lease_seconds": 1.0}
ALWAYS = "00:00-24:00"
RULES = CampaignRules(
    max_attempts=1,
    max_channels=40,
    weekday_hours=ALWAYS,
    saturday_hours=ALWAYS,
    sunday_hours=ALWAYS,
    holiday_hours=ALWAYS,
)
# Numbers ending in 4 or 6: the simulated carrier answers busy / congestion at once.
PHONES = [f"+79133{i:05d}{(4, 6)[i % 2]}" for i in range(8)]


def worker(
    settings: Settings, name: str, fastagi_port: int, *, kill_at_batch: int | str | None = None
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    """``hotline run`` as worker ``name``; ``kill_at_batch``: see dispatch2_kill_hook.py."""
    sets = {
        **{f"dialer.{k}": v for k, v in DIALER.items()},
        **{f"workers.{k}": v for k, v in WORKERS.items()},
        "workers.name": name,
        "fastagi.port": fastagi_port,
        "metrics.enabled": "false",
    }
    runner = (
        ("hotline.cli",)
        if kill_at_batch is None
        else ("tests.e2e.dispatch2_kill_hook", str(kill_at_batch))
    )
    return engine_process(settings, sets, name=f"engine-{name}", runner=runner)


async def test_a_worker_killed_inside_a_batch_leaves_no_number_undialled(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    await clean_postgres(PG_TEST_URL)
    settings = engine_settings(tmp_path / "unused.db", store={"url": PG_TEST_URL}, dialer=DIALER)
    db = Database(settings.database_url)
    store = DialerStore(db)
    await db.upgrade()
    campaign = await running_campaign(store, tmp_path, PHONES, rules=RULES)
    ami = AmiClient(settings.ami, resolve_ami_secret(settings))
    events = ami.subscribe(["Newchannel"])
    dialled: Counter[str] = Counter()  # Asterisk's own count of calls to each number

    try:
        async with ami:
            counter = asyncio.create_task(count_carrier_calls(events, dialled))
            with worker(settings, "w1", settings.fastagi.port, kill_at_batch=2) as first:
                assert await asyncio.to_thread(first.wait, 60) == -9  # SIGKILLed by the hook
            # The first batch went out (in flight or ended); the second is written, in flight,
            # never sent (and the one after it, if it was written meanwhile).
            unsent = [a for a in await store.inflight("w1") if not a.sent]
            assert unsent and len(await store.attempts_detail(campaign.id)) > len(unsent)
            with worker(settings, "w2", settings.fastagi.port):
                finished = await wait_finished(store, "test", within=60)
            await asyncio.sleep(0.5)  # the last Newchannel events
            counter.cancel()
        attempts = await store.attempts_detail(finished.id)
        targets = await store.targets_detail(finished.id)
        assert await store.inflight() == []
    finally:
        await db.dispose()
    assert all(t["state"] == "done" for t in targets)
    # One call per number, on the store's side and on Asterisk's.
    assert Counter(a["phone"] for a in attempts) == Counter(PHONES)
    assert dialled == Counter(PHONES)


async def test_a_worker_killed_between_a_mark_and_its_originate_leaves_no_number_undialled(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    # w1 dies once its third batch's first mark is committed, before that Originate: an
    # attempt marked sent that Asterisk never saw.  w2 watched the node from before the
    # campaign began, so when it adopts w1's attempts it gives that one back to its contact
    # and dials it: every number once, by Asterisk's own count (the attempt used to be
    # settled as unknown, and with one attempt allowed its number was never called).
    await clean_postgres(PG_TEST_URL)
    settings = engine_settings(tmp_path / "unused.db", store={"url": PG_TEST_URL}, dialer=DIALER)
    phones = [f"+79134{i:05d}{(4, 6)[i % 2]}" for i in range(24)]
    db = Database(settings.database_url)
    store = DialerStore(db)
    await db.upgrade()
    ami = AmiClient(settings.ami, resolve_ami_secret(settings))
    events = ami.subscribe(["Newchannel"])
    dialled: Counter[str] = Counter()

    try:
        async with ami:
            counter = asyncio.create_task(count_carrier_calls(events, dialled))
            with (
                worker(settings, "w2", 0),
                worker(settings, "w1", settings.fastagi.port, kill_at_batch="3:after") as first,
            ):
                await both_logged_in(db, {"w1", "w2"})
                # Past the clock slack an adopter allows between its log-in and an attempt.
                await asyncio.sleep(settings.workers.clock_slack_seconds + 0.5)
                campaign = await running_campaign(store, tmp_path, phones, rules=RULES)
                assert await asyncio.to_thread(first.wait, 60) == -9  # SIGKILLed by the hook
                marked = [a for a in await store.inflight("w1") if a.sent]
                finished = await wait_finished(store, "test", within=60)
            await asyncio.sleep(0.5)  # the last Newchannel events
            counter.cancel()
        attempts = await store.attempts_detail(finished.id)
        assert finished.id == campaign.id and await store.inflight() == []
        # The one marked and never sent is gone: its number was dialled by w2 instead.
        given_back = [a for a in marked if await store.attempt(a.id) is None]
    finally:
        await db.dispose()
    assert given_back
    assert Counter(a["phone"] for a in attempts) == Counter(phones)
    assert dialled == Counter(phones)


async def both_logged_in(db: Database, names: set[str], within: float = 60.0) -> None:
    """Until every worker in ``names`` has reported its AMI connection up."""
    registry = WorkerRegistry(db)
    async with asyncio.timeout(within):
        while {w.name for w in await registry.all() if w.ami_up} < names:
            await asyncio.sleep(0.1)
