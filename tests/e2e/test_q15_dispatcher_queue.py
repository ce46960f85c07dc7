"""R-097 through the sandbox: menu 4-1 («соединю с диспетчером») reaches the emergency
dispatcher's own queue, not the operators'."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.store.enums import EventKind, QueueEventKind
from hotline.store.queue_events import QueueEvents
from tests.e2e.engine_support import engine_settings, simulate

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts]

CALLER = "79001234569"


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return engine_settings(tmp_path / "dispatcher.db", simulate={"queue_linger_seconds": 2.0})


async def test_an_outage_report_reaches_the_dispatcher_queue(
    engine: Engine, settings: Settings
) -> None:
    transcript = await simulate(settings, "41", caller_id=CALLER)
    assert transcript.nodes[-2:] == ["outages.report", "operator"]
    await asyncio.sleep(1.5)  # the trackers store what AMI just reported
    call = await engine.call_log.get(uniqueid=transcript.uniqueid)
    assert call is not None
    assert [e.value for e in call.events if e.kind == EventKind.QUEUE] == ["hotline-dispatcher"]
    events = await QueueEvents(engine.db).for_uniqueid(transcript.uniqueid)
    joins = [e for e in events if e.kind is QueueEventKind.JOIN]
    assert [e.queue for e in joins] == ["hotline-dispatcher"]
