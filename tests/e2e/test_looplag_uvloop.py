"""The engine on uvloop (issue 19 item 6, ``[engine] loop = "uvloop"``): `hotline run` says
which loop it runs on, and a real call through the sandbox goes through the menu to the
operator queue as on asyncio's loop."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.settings import Settings
from hotline.store.enums import CallOutcome
from tests.e2e.engine_support import cli_overrides, engine_settings, simulate, wait_for_port
from tests.log_audit import log_file

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("sandbox")]

CALLER = "79131230019"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return engine_settings(tmp_path / "hotline.db")


@contextlib.contextmanager
def _engine(settings: Settings, json_log: Path) -> Iterator[None]:
    argv = [sys.executable, "-m", "hotline.cli", *cli_overrides(settings)]
    argv += ["--set", "engine.loop=uvloop", "--set", "log.format=json"]
    argv += ["--set", f"log.file={json_log}", "run"]
    with log_file("engine-uvloop").open("wb") as sink:
        proc = subprocess.Popen(argv, env=dict(os.environ), stdout=sink, stderr=sink)
    try:
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


async def test_a_call_through_the_engine_on_uvloop(settings: Settings, tmp_path: Path) -> None:
    json_log = tmp_path / "engine.log"
    with _engine(settings, json_log):
        await wait_for_port(settings.fastagi.host, settings.fastagi.port)
        transcript = await simulate(settings, "0", caller_id=CALLER)
    assert transcript.outcome == CallOutcome.OPERATOR
    lines = [json.loads(line) for line in json_log.read_text(encoding="utf-8").splitlines()]
    messages = [str(line["message"]) for line in lines]
    assert "event loop: uvloop.Loop" in messages
    assert any(line.get("call_id") == transcript.uniqueid for line in lines)
