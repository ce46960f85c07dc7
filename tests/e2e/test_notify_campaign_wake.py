"""LISTEN/NOTIFY on PostgreSQL (issue 20 item 1): a campaign started through the console wakes
both idle engine workers' dialers at once, and the campaign is dialled on the sandbox's
simulated carrier long before either dialer's idle poll (two minutes here) would find it.
The proof is the mechanism: each dialer's waker counts the NOTIFY's reason."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dialer.model import CampaignRules, CampaignState
from dialer.repository import DialerStore
from hotline.app import Engine
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.db import Database
from hotline.store.notify import WakeReason
from hotline.web.app import create_app
from tests.dialer_support import running_campaign, wait_finished
from tests.e2e.engine_support import engine_settings
from tests.e2e.web_support import free_port
from tests.store.conftest import PG_TEST_URL, clean_postgres
from tests.web.conftest import log_in, seed_users

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

IDLE_POLL = 120.0
ALWAYS = "00:00-24:00"
RULES = CampaignRules(
    max_attempts=1,
    weekday_hours=ALWAYS,
    saturday_hours=ALWAYS,
    sunday_hours=ALWAYS,
    holiday_hours=ALWAYS,
)
# Busy and congestion on the simulated carrier: each ends at once, no prompt is played.
PHONES = ["+79132000014", "+79132000026"]


def worker_settings(tmp_path: Path, name: str, fastagi_port: int | None = None) -> Settings:
    settings = engine_settings(
        tmp_path / "unused.db",
        dialer={"tick_seconds": 0.2, "calls_per_second": 10.0, "same_number_gap_seconds": 0},
        notify={"dialer_idle_seconds": IDLE_POLL},
        workers={"name": name},
        metrics={"enabled": False},
    )
    store = settings.store.model_copy(update={"url": PG_TEST_URL})
    fastagi = settings.fastagi.model_copy(update={"port": fastagi_port or settings.fastagi.port})
    return settings.model_copy(update={"store": store, "fastagi": fastagi})


@contextlib.asynccontextmanager
async def engine(settings: Settings) -> AsyncIterator[Engine]:
    worker = Engine(settings)
    await worker.start()
    try:
        await worker.ami.wait_connected(15)
        await worker.notify.wait_connected(15)
        yield worker
    finally:
        await worker.stop()


async def idle(worker: Engine) -> None:
    assert worker.dialer is not None
    async with asyncio.timeout(15):
        while not worker.dialer.idle:
            await asyncio.sleep(0.1)


def start_through_console(settings: Settings, name: str) -> None:
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        csrf = log_in(client, "vera")
        reply = client.post(
            f"/campaigns/{name}/start", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert reply.status_code == 303, reply.text


async def test_a_campaign_started_in_the_console_wakes_both_workers(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    await clean_postgres(PG_TEST_URL)
    # The first serves the sandbox's FastAGI port; the second listens on a free one.
    first = worker_settings(tmp_path, "w1")
    second = worker_settings(tmp_path, "w2", free_port())
    await seed_users(first)
    db = Database(PG_TEST_URL)
    store = DialerStore(db)
    try:
        # Approved, not started: the console starts it.
        await running_campaign(store, tmp_path, PHONES, name="wake", rules=RULES, start=False)
        async with engine(first) as one, engine(second) as two:
            await asyncio.gather(idle(one), idle(two))
            assert one.dialer is not None and two.dialer is not None
            assert one.dialer.wake.live and two.dialer.wake.live
            await asyncio.to_thread(start_through_console, first, "wake")
            done = await wait_finished(store, "wake", within=IDLE_POLL / 4)
            assert done.state is CampaignState.FINISHED
            for worker in (one, two):
                assert worker.dialer is not None
                assert worker.dialer.wake.reasons[WakeReason.CAMPAIGN_STARTED] == 1
    finally:
        await db.dispose()
