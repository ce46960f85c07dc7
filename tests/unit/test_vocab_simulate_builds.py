"""Issue 18, item 5: `hotline call simulate` builds the prompts the built set lacks (with a
progress bar on a terminal) instead of failing on them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.calls.simulator import SimulationError
from hotline.cli import call_cmd
from hotline.cli.main import app
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from tests.unit.test_speech_library import FakeBackend, library, make_settings


async def _no_pbx(settings: Settings, dtmf: str, caller_id: str | None) -> None:
    raise SimulationError("no PBX in this test")


def test_simulate_builds_a_removed_prompt_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path)
    first = FakeBackend()
    built = library(settings, first)
    asyncio.run(built.build())
    voice_dir = built.voice_dir()
    removed = sorted(voice_dir.glob("menu.*"))
    assert removed
    for path in removed:
        path.unlink()

    backend = FakeBackend()

    def fresh_library(_settings: Settings) -> PromptLibrary:
        return library(settings, backend)

    monkeypatch.setattr(call_cmd, "PromptLibrary", fresh_library)
    monkeypatch.setattr(call_cmd, "simulate_call", _no_pbx)
    result = CliRunner().invoke(app, ["call", "simulate", "--dtmf", "1"])

    assert "prompts not built: menu" in result.output
    assert all(path.exists() for path in removed)  # rebuilt (from the TTS cache here)
    assert all(s.state == "ok" for s in library(settings, FakeBackend()).check())
    # The call itself then ran (here: refused by the stub, as it would without a PBX).
    assert result.exit_code == 1 and "no PBX in this test" in result.output


def test_simulate_builds_nothing_when_the_set_is_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path)
    asyncio.run(library(settings, FakeBackend()).build())
    backend = FakeBackend()
    monkeypatch.setattr(call_cmd, "PromptLibrary", lambda _s: library(settings, backend))
    monkeypatch.setattr(call_cmd, "simulate_call", _no_pbx)
    result = CliRunner().invoke(app, ["call", "simulate"])
    assert backend.calls == [] and "prompts not built" not in result.output
    assert result.exit_code == 1
