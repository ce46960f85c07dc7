"""The SIP menu benchmark's parts through real Asterisk, untimed: one SIPp caller with the
generated RFC 4733 stream presses one key on the menu as pure dialplan and on the engine, and
the next prompt starts on both (latency is the benchmark's business, not a test's); the twin
records its call, as the engine does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bench.dialplan_menu import BENCH_NUMBER, install, twin_dialplan, uninstall
from bench.sip_menu_sipp import stage
from bench.sip_menu_walk import ENGINE_NUMBER, EVENTS, Mark, Recorder, plan_walk
from hotline.app import Engine
from hotline.core.clock import utc_now
from hotline.sandbox import Sandbox
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from ivr.menu.loader import load_menu
from tests.e2e.engine_support import engine_settings

pytestmark = pytest.mark.e2e

WITHIN = 60.0  # seconds: generous bounds for a loaded machine, never a measured time


def _answered(marks: dict[str, list[Mark]]) -> bool:
    """Both calls' key arrived and a prompt started after it (their AMI events are in)."""
    return len(marks) == 2 and all(
        any(m.key is None and m.at >= k.at for m in ms for k in ms if k.key is not None)
        for ms in marks.values()
    )


async def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WITHIN
    while not condition():
        assert time.monotonic() < deadline, f"not within {WITHIN:.0f} s: {what}"
        await asyncio.sleep(0.1)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return engine_settings(tmp_path / "hotline.db")


async def test_a_key_starts_the_next_prompt_on_the_dialplan_twin_and_the_engine(
    sandbox: Sandbox, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    library = PromptLibrary(settings)
    menu = load_menu(settings.ivr.menu_file)
    walk = plan_walk(menu, settings, library, key_gap_ms=1000, digits="3")
    recordings = sandbox.recordings_dir
    text = twin_dialplan(
        menu, settings, lambda p: library.sound(p).path_without_extension, recordings=recordings
    )
    began = utc_now()
    await asyncio.to_thread(install, sandbox, text)
    sipp = await asyncio.to_thread(stage, sandbox, walk, tmp_path)
    recorder = Recorder(engine.ami.subscribe(EVENTS, maxsize=10_000))
    drain = asyncio.create_task(recorder.run())
    try:
        # One after the other: both SIPp runs would want the same media port.
        for number in (BENCH_NUMBER, ENGINE_NUMBER):
            done = await asyncio.to_thread(sipp.call, number, 1)
            assert done.returncode == 0, done.stdout[-1500:] + sandbox.log_tail(30)
        await _until(lambda: _answered(recorder.marks), "both keys answered on AMI")
    finally:
        drain.cancel()
        engine.ami.unsubscribe(recorder.sub)
        await asyncio.to_thread(uninstall, sandbox)

    info = menu.node("info").prompts
    assert info is not None
    # The engine's caller is a first-time one (fresh call log): detailed prompts; the twin
    # always plays the short ones.
    info_files = {library.sound(p).path_without_extension for _variant, p in info.items()}
    marks = recorder.take()
    assert len(marks) == 2, marks
    answered_by = set()
    for channel, channel_marks in marks.items():
        ordered = sorted(channel_marks, key=lambda m: m.at)
        keys = [m for m in ordered if m.key is not None]
        assert [m.key for m in keys] == ["3"], (channel, ordered)
        after = [m for m in ordered if m.key is None and m.at >= keys[0].at]
        assert after, f"{channel}: no prompt after the key"
        assert after[0].file in info_files, (channel, after[0])
        answered_by.add(after[0].via)
    assert answered_by == {"agi", "dialplan"}

    # The twin's call was recorded: one file named by its uniqueid in the day's folder (UTC).
    twin = next(c for c, ms in marks.items() if any(m.via == "dialplan" for m in ms))
    days = {f"{day:%Y/%m/%d}" for day in (began, utc_now(), began + timedelta(days=1))}
    files = [recordings / day / f"hbench-{twin}.wav" for day in sorted(days)]
    try:
        await _until(lambda: any(f.exists() for f in files), f"the twin's recording {files}")
    finally:
        for file in files:
            file.unlink(missing_ok=True)
