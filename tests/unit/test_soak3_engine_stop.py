"""Issue 21 (d): a graceful stop of the engine took 20-38 s in the 55-minute soak.  Measured
(SIGTERM to exit, idle sandbox): the stop itself 0.1-0.5 s, then 2.5 s of the interpreter's
final garbage collection over the engine's heap (more under load), and with calls in progress
the FastAGI drain of fastagi.shutdown_grace (10 s; most soak calls outlast it and went to the
queue anyway).  `hotline run` now freezes the heap once the engine has stopped (the process
frees it at exit), and calls in progress get a few seconds before they go to the queue."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from hotline.cli import engine_cmd
from hotline.cli.main import app
from hotline.settings.sections import FastAgiSettings


class _StoppedEngine:
    def __init__(self, _settings: Any) -> None:
        pass

    async def run_until_signalled(self) -> None:  # signalled at once: stopped cleanly
        return None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_hotline_run_leaves_the_heap_to_the_process_exit(
    monkeypatch: pytest.MonkeyPatch, unfrozen: None
) -> None:
    monkeypatch.setattr(engine_cmd, "Engine", _StoppedEngine)
    assert gc.get_freeze_count() == 0
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 0, result.output
    assert gc.get_freeze_count() > 0  # the final collection has nothing left to walk


def test_calls_in_progress_get_a_few_seconds_on_a_stop() -> None:
    assert FastAgiSettings().shutdown_grace <= 3.0
