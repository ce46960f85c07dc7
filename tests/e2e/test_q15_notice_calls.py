"""R-061 through the sandbox: every path that records plays «Разговор записывается» to that
caller first, and the call log says who played it.  The paths the IVR does not cover: the
dialplan fallback (no engine) and a campaign callee pressing 0.  (No callback call exists:
operators call back from their own phones, outside the engine.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dialer.model import CampaignRules
from dialer.repository import DialerStore
from hotline.app import Engine
from hotline.dialplan.names import NoticeBy
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.calllog import CallLog, CallRecord
from hotline.store.enums import EventKind
from tests.dialer_support import NOW, Clock, running_campaign, wait_finished
from tests.e2e.engine_support import engine_settings, simulator

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts]

CALLER = "79001234568"
# The simulated carrier's number ending in 7 answers and presses 0.
PRESSES_ZERO = "+79131234567"


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return engine_settings(
        tmp_path / "notice.db",
        simulate={"queue_linger_seconds": 2.0, "max_call_seconds": 60.0},
        dialer={"tick_seconds": 0.2, "ring_seconds": 4.0, "same_number_gap_seconds": 0.0},
    )


def kinds(call: CallRecord) -> list[tuple[str, str]]:
    return [(e.kind, e.value) for e in call.events]


def assert_notice_then_queue(call: CallRecord) -> None:
    """The dialplan played the notice and the caller reached the queue.  Their order in the log
    is not asserted: the call tracker and the queue tracker write them from their own event
    queues; that the notice came first is the dialplan's order (unit-tested on the render) and
    the recording starting after the notice (asserted by the callers of this)."""
    events = kinds(call)
    assert (EventKind.RECORDING_NOTICE, NoticeBy.DIALPLAN) in events, events
    assert any(kind == EventKind.QUEUE for kind, _v in events), events


async def test_fallback_without_the_engine_plays_the_notice_before_recording(
    engine: Engine,
) -> None:
    await engine.server.stop()  # FastAGI is down; the trackers still run
    async with simulator(engine.settings) as (sim, _log, _ami):
        transcript = await sim.run("", CALLER)
    assert transcript.outcome == "fallback"
    await asyncio.sleep(1.5)  # MixMonitor closes the file; the tracker measures it
    call = await engine.call_log.get(uniqueid=transcript.uniqueid)
    assert call is not None
    assert_notice_then_queue(call)
    (rec,) = await engine.recordings.for_uniqueid(transcript.uniqueid)
    notice_at = next(e.at for e in call.events if e.kind == EventKind.RECORDING_NOTICE)
    assert rec.started_at >= notice_at


async def test_a_campaign_callee_pressing_zero_hears_the_notice_before_recording(
    settings: Settings, tmp_path: Path
) -> None:
    engine = Engine(settings, clock=Clock(NOW))
    store = DialerStore(engine.db)
    await engine.db.upgrade()
    campaign = await running_campaign(
        store, tmp_path, [PRESSES_ZERO], rules=CampaignRules(max_attempts=1)
    )
    await engine.start()
    try:
        # Nobody answers the queue: hang the callee up once the recording has started.
        async with asyncio.timeout(40):
            while True:
                attempts = await store.attempts_detail(campaign.id)
                if attempts and attempts[0]["transferred"]:
                    attempt = attempts[0]["attempt"]
                    if await engine.recordings.for_uniqueid(attempt):
                        break
                await asyncio.sleep(0.3)
        await engine.ami.hangup(attempt)
        await wait_finished(store, "test", within=20)
        call = await CallLog(engine.db).get(uniqueid=attempt)
        (rec,) = await engine.recordings.for_uniqueid(attempt)
    finally:
        await engine.stop()
    assert call is not None
    events = kinds(call)
    # The dialer handed the callee over; the operator context played the notice, then recorded.
    transfer = events.index((EventKind.NODE, "operator"))
    notice = events.index((EventKind.RECORDING_NOTICE, NoticeBy.DIALPLAN))
    assert transfer < notice, events
    notice_at = call.events[notice].at
    assert rec.started_at >= notice_at


async def test_through_the_ivr_the_notice_is_played_once(engine: Engine) -> None:
    async with simulator(engine.settings) as (sim, _log, _ami):
        transcript = await sim.run("0", CALLER)
    assert transcript.outcome == "operator"
    await asyncio.sleep(1.5)  # the batched call events are committed
    call = await engine.call_log.get(uniqueid=transcript.uniqueid)
    assert call is not None
    notices = [e.value for e in call.events if e.kind == EventKind.RECORDING_NOTICE]
    # The IVR played it; the operator context does not play it again.
    assert notices == [NoticeBy.IVR]
    (rec,) = await engine.recordings.for_uniqueid(transcript.uniqueid)
    notice_at = next(e.at for e in call.events if e.kind == EventKind.RECORDING_NOTICE)
    assert rec.started_at >= notice_at
