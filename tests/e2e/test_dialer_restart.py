"""The engine is killed in the middle of a campaign and started again: every attempt is
accounted for and no number is dialled twice (counted on Asterisk's side)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from dialer.model import CampaignRules, CampaignState, Reason
from dialer.repository import CampaignRecord, DialerStore
from hotline.app import resolve_ami_secret
from hotline.dialplan.names import CONTEXT_SIMULATED_CARRIER
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.db import Database
from hotline.transport.ami import AmiClient
from tests.dialer_support import running_campaign
from tests.e2e.engine_support import count_carrier_calls, engine_process, engine_settings

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts]

DIALER = {
    "tick_seconds": 0.2,
    "calls_per_second": 20.0,
    "ring_seconds": 5.0,
    "same_number_gap_seconds": 3600.0,
}
# Open around the clock, so the test does not depend on the hour it runs at.
ALWAYS = "00:00-24:00"
RULES = CampaignRules(
    max_attempts=1,
    max_channels=6,
    weekday_hours=ALWAYS,
    saturday_hours=ALWAYS,
    sunday_hours=ALWAYS,
    holiday_hours=ALWAYS,
)


def engine(settings: Settings) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    return engine_process(settings, {f"dialer.{k}": v for k, v in DIALER.items()})


async def test_killed_engine_restarts_without_double_dialling(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    settings = engine_settings(tmp_path / "hotline.db", dialer=DIALER)
    phones = [f"+791312345{n}{d}" for n in (0, 1, 6) for d in (3, 5)]
    db = Database(settings.database_url)
    store = DialerStore(db)
    await db.upgrade()
    campaign = await running_campaign(store, tmp_path, phones, rules=RULES)
    # Asterisk's own count of calls to each number, independent of our database.
    ami = AmiClient(settings.ami, resolve_ami_secret(settings))
    events = ami.subscribe(["Newchannel"])
    dialled: Counter[str] = Counter()

    try:
        async with ami:
            counter = asyncio.create_task(count_carrier_calls(events, dialled))
            with engine(settings) as first:
                async with asyncio.timeout(30):
                    while len(await store.attempts_detail(campaign.id)) < len(phones):
                        await asyncio.sleep(0.1)
                await asyncio.sleep(1.0)  # calls ringing and playing
                first.send_signal(signal.SIGKILL)
                first.wait(10)
            with engine(settings) as second:
                finished = await finished_while_running(second, store, within=60)
            await asyncio.sleep(0.5)
            counter.cancel()
        attempts = await store.attempts_detail(finished.id)
        targets = await store.targets_detail(finished.id)
    finally:
        await db.dispose()
    # Every attempt was settled: ended with a result, or unknown after the crash.
    assert all(a["status"] in ("ended", "unknown") for a in attempts), attempts
    assert all(t["state"] == "done" and t["result"] for t in targets), targets
    # One call per number: the gap keeps unknown ones from being redialled.
    assert Counter(a["phone"] for a in attempts) == Counter(phones)
    assert dialled == Counter(phones)
    reasons = {t["phone"]: t["reason"] for t in targets}
    for phone in phones:
        expected = (
            {Reason.HUNG_UP_EARLY, Reason.UNKNOWN}
            if phone.endswith("3")
            else {
                Reason.NO_ANSWER,
                Reason.UNKNOWN,
            }
        )
        assert reasons[phone] in expected, (phone, reasons[phone])


async def test_calls_that_ended_while_the_engine_was_down_are_never_redialled_early(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    settings = engine_settings(tmp_path / "hotline.db", dialer=DIALER)
    # Number 5 rings for 5 s: it is still "dialing" when the engine dies and gone before it
    # is back, so its fate is unknown.  Retries are allowed, but not within the gap.
    phones = ["+79131234505", "+79131234515"]
    db = Database(settings.database_url)
    store = DialerStore(db)
    await db.upgrade()
    campaign = await running_campaign(
        store, tmp_path, phones, rules=RULES.model_copy(update={"max_attempts": 3})
    )
    ami = AmiClient(settings.ami, resolve_ami_secret(settings))
    try:
        async with ami:
            with engine(settings) as first:
                # Both calls ringing (a batch's attempts are written before each is sent in
                # its pacing slot; a written, unsent one would be withdrawn and dialled again).
                async with asyncio.timeout(30):
                    while len(await store.attempts_detail(campaign.id)) < len(
                        phones
                    ) or await carrier_calls(ami) < len(phones):
                        await asyncio.sleep(0.1)
                first.send_signal(signal.SIGKILL)
                first.wait(10)
            async with asyncio.timeout(30):  # the carrier gives up ringing
                while any(
                    c.get("context") == CONTEXT_SIMULATED_CARRIER
                    for c in await ami.core_show_channels()
                ):
                    await asyncio.sleep(0.3)
            with engine(settings):
                async with asyncio.timeout(30):
                    while any(
                        a["status"] == "dialing" for a in await store.attempts_detail(campaign.id)
                    ):
                        await asyncio.sleep(0.2)
                await asyncio.sleep(2.0)  # several dispatcher ticks
            attempts = await store.attempts_detail(campaign.id)
            targets = await store.targets_detail(campaign.id)
    finally:
        await db.dispose()
    assert [(a["status"], a["reason"]) for a in attempts] == [("unknown", "unknown")] * 2
    for target, attempt in zip(targets, attempts, strict=True):
        assert target["state"] == "pending" and target["attempts"] == 1
        created = datetime.fromisoformat(attempt["created_at"])
        assert datetime.fromisoformat(target["next_attempt_at"]) >= created + timedelta(hours=1)


async def finished_while_running(
    proc: subprocess.Popen[bytes], store: DialerStore, within: float
) -> CampaignRecord:
    """The campaign once finished; the engine exiting meanwhile fails at once with its exit
    code (a restarted engine that died left the test waiting out the whole timeout)."""
    async with asyncio.timeout(within):
        while True:
            campaign = await store.campaign("test")
            if campaign.state is CampaignState.FINISHED:
                return campaign
            assert proc.poll() is None, f"the engine exited ({proc.returncode}): see its log"
            await asyncio.sleep(0.2)


async def carrier_calls(ami: AmiClient) -> int:
    """Calls the simulated carrier has now (Asterisk's own view: the far half, ``;2``, of
    each Local channel the dialer originated)."""
    return sum(
        c.get("context") == CONTEXT_SIMULATED_CARRIER and str(c.get("channel", "")).endswith(";2")
        for c in await ami.core_show_channels()
    )
