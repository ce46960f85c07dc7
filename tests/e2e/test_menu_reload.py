"""A menu version published while a call is in progress: that call finishes on the version it
started with, the next call gets the new one (through the real Asterisk sandbox)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.calls.simulator import Transcript
from hotline.settings import Settings
from hotline.store.enums import CallOutcome
from ivr.menu.versions import MenuVersions
from tests.e2e.engine_support import engine_settings, simulate, simulator, wait_for_node

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts, pytest.mark.usefixtures("sandbox")]

CALLER = "79131234567"
DEFAULT_OPTIONS = '"3": info\n      "4": outages\n'
SWAPPED_OPTIONS = '"3": outages\n      "4": info\n'


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return engine_settings(tmp_path / "hotline.db")


def versions_used(transcript: Transcript) -> list[str]:
    assert transcript.call_log is not None
    return [e["value"] for e in transcript.call_log["events"] if e["kind"] == "menu_version"]


async def test_a_call_in_progress_keeps_its_version_and_new_calls_get_the_new_one(
    settings: Settings,
) -> None:
    original = settings.ivr.menu_file.read_text(encoding="utf-8")
    assert DEFAULT_OPTIONS in original
    swapped = original.replace(DEFAULT_OPTIONS, SWAPPED_OPTIONS)

    engine = Engine(settings)
    await engine.db.upgrade()
    first = await MenuVersions(engine.db).publish(original, str(settings.ivr.menu_file), "e2e")
    await engine.start()
    try:
        await engine.ami.wait_connected(10)
        assert engine.flow is not None and engine.flow.version == first.version

        async with simulator(settings) as (sim, call_log, _ami):
            silent = asyncio.create_task(sim.run("", CALLER))
            try:
                await wait_for_node(call_log, "main")
                second = await MenuVersions(engine.db).publish(swapped, "swapped.yaml", "e2e")
                assert (
                    second.summary
                    == "main: option 3 info -> outages; main: option 4 outages -> info"
                )
                assert await engine.reload_menu() == second.version
                in_progress = await silent
            finally:
                if not silent.done():
                    silent.cancel()

        assert in_progress.nodes == [
            "greeting",
            *["main"] * settings.ivr.silent_rounds,
            "operator",
        ]
        assert in_progress.outcome == CallOutcome.OPERATOR
        assert versions_used(in_progress) == [str(first.version)]

        # A new call: 3 is outages now.
        after = await simulate(settings, "3w0", caller_id=CALLER)
        assert after.nodes == ["greeting", "main", "outages", "operator"]
        assert versions_used(after) == [str(second.version)]
    finally:
        await engine.stop()


async def test_a_version_that_breaks_the_rules_is_ignored(settings: Settings) -> None:
    original = settings.ivr.menu_file.read_text(encoding="utf-8")
    # An option on the operator key: reserved on every level.
    broken = original.replace(DEFAULT_OPTIONS, '"3": info\n      "0": outages\n')
    engine = Engine(settings)
    await engine.start()
    try:
        await engine.ami.wait_connected(10)
        assert engine.flow is not None and engine.flow.version is None
        await MenuVersions(engine.db).publish(broken, "broken.yaml", "e2e")
        assert await engine.reload_menu() is None
        transcript = await simulate(settings, "3w0", caller_id=CALLER)
        assert transcript.nodes == ["greeting", "main", "info", "operator"]
        assert versions_used(transcript) == ["file"]
    finally:
        await engine.stop()
