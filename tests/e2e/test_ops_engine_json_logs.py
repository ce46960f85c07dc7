"""JSON log lines from a real engine (issue 24, item 6): `hotline run` with
`log.format=json` and `log.file` writes one JSON object per line; the line of a call carries
its Asterisk uniqueid as `call_id`, and the caller's number is masked there too.

The engine runs as systemd starts it, in a session of its own, and below the PBX
(``engine.nice = 5``; issue 19 item 1): it applies that to itself and to its session before it
serves the call."""

from __future__ import annotations

import asyncio
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

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts, pytest.mark.usefixtures("sandbox")]

CALLER = "79131234567"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return engine_settings(tmp_path / "hotline.db")


@contextlib.contextmanager
def _engine(settings: Settings, *overrides: str) -> Iterator[subprocess.Popen[bytes]]:
    """`hotline run` as a child process leading its own session, with these extra settings."""
    argv = [sys.executable, "-m", "hotline.cli", *cli_overrides(settings)]
    argv += [arg for pair in overrides for arg in ("--set", pair)]
    with log_file("engine-json").open("wb") as sink:
        proc = subprocess.Popen(
            [*argv, "run"],
            env=dict(os.environ),
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _priority_of(pid: int) -> tuple[str, str | None]:
    """The process's nice and its session's autogroup nice (None: no autogroups)."""
    # /proc/<pid>/stat: the nice is the 19th field (the 17th after the command's ")").
    nice = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16]
    group = Path(f"/proc/{pid}/autogroup")
    return nice, group.read_text().split("nice")[1].strip() if group.exists() else None


def _whole_lines(path: Path) -> str:
    """The log's text up to its last newline: the engine may be writing the next line."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return text[: text.rfind("\n") + 1]


async def _lines_until_call_end(
    path: Path, uniqueid: str, bound: float = 30.0
) -> tuple[str, list[dict[str, object]]]:
    """The log's text and lines once the call's "call end" line is in it (at most ``bound``
    seconds; then what is there, for the assertions to report)."""
    deadline = asyncio.get_running_loop().time() + bound
    while True:
        text = await asyncio.to_thread(_whole_lines, path)
        lines = [json.loads(line) for line in text.splitlines()]
        if (
            any(
                line.get("call_id") == uniqueid and str(line["message"]).startswith("call end")
                for line in lines
            )
            or asyncio.get_running_loop().time() > deadline
        ):
            return text, lines
        await asyncio.sleep(0.1)


async def test_a_call_s_log_lines_are_json_with_its_call_id_and_the_caller_masked(
    settings: Settings, tmp_path: Path
) -> None:
    json_log = tmp_path / "engine-json.log"
    with _engine(settings, "engine.nice=5", "log.format=json", f"log.file={json_log}") as proc:
        await wait_for_port(settings.fastagi.host, settings.fastagi.port)
        nice, session_nice = await asyncio.to_thread(_priority_of, proc.pid)
        transcript = await simulate(settings, "0", caller_id=CALLER)
        # The call's INFO line is its end (issue 19 item 2), logged as the engine closes the
        # session, which may be just after the simulated caller is done: wait for it.
        text, lines = await _lines_until_call_end(json_log, transcript.uniqueid)
    assert transcript.outcome == CallOutcome.OPERATOR
    assert nice == "5"
    priority = [line for line in lines if str(line["message"]).startswith("CPU priority")]
    expected = "-" if session_nice is None else f"nice {session_nice}"
    assert session_nice in (None, "5")
    assert [line["message"] for line in priority] == [
        f"CPU priority: nice 5, session {expected} (engine.nice 5)"
    ]
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    of_the_call = [line for line in lines if line.get("call_id") == transcript.uniqueid]
    ends = [line for line in of_the_call if str(line["message"]).startswith("call end")]
    assert len(ends) == 1, of_the_call
    assert "caller=791******67" in str(ends[0]["message"])
    assert CALLER not in text and CALLER[1:] not in text
    # Lines outside any call have no call id.
    assert any("call_id" not in line for line in lines)
