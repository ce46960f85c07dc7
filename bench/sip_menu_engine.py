"""The SIP menu bench's engine: ``hotline run`` in a process and a session of its own, with the
bench's settings (bench/sip_menu.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from bench.sip_menu_walk import WEEK
from hotline.settings import Settings, load_settings
from hotline.settings.engine import LoopKind


def bench_settings(
    db_file: Path,
    store_url: str | None = None,
    loop: str = LoopKind.ASYNCIO,
    levels: str = "engine",
    nice: int | None = None,
) -> Settings:
    url = store_url or f"sqlite+aiosqlite:///{db_file}"
    return load_settings(overrides=engine_overrides(url, loop, levels, nice))


def engine_overrides(
    store_url: str, loop: str = LoopKind.ASYNCIO, levels: str = "engine", nice: int | None = None
) -> dict[str, dict[str, str]]:
    # Operators always on duty: no key on the path asks for one, but the engine reads hours.
    hours = {day: "00:00-24:00" for day in (*WEEK, "holiday_hours")}
    return {
        "store": {"url": store_url},
        "hours": hours,
        # engine.nice: the settings' own (0, the PBX's priority) unless the run asks for another.
        "engine": {"loop": loop} if nice is None else {"loop": loop, "nice": str(nice)},
        # ivr.levels: the engine walks the levels, or hands them to the dialplan (issue 19).
        "ivr": {"levels": levels},
    }


@contextlib.contextmanager
def engine_process(
    store_url: str,
    log_file: Path,
    loop: str = LoopKind.ASYNCIO,
    levels: str = "engine",
    nice: int | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """``hotline run`` on its own (so its event loop is not the bench's), log to a file.

    In its own session, as the sandbox starts Asterisk and as systemd starts every service
    (engine.service): the kernel shares the CPU between sessions (autogroups) or services
    (cgroups) before their threads.  In the bench's session the engine competed with SIPp,
    the load generator no production machine runs, while Asterisk had a group of its own:
    at 320 callers its key latency p50 was 58-210 ms, in its own session 5 ms."""
    flags = [
        arg
        for section, values in engine_overrides(store_url, loop, levels, nice).items()
        for key, value in values.items()
        for arg in ("--set", f"{section}.{key}={value}")
    ]
    root = Path(__file__).resolve().parent.parent
    with log_file.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hotline.cli", *flags, "run"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            cwd=root,
            env=dict(os.environ),
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


async def wait_for_port(
    host: str, port: int, proc: subprocess.Popen[bytes], within: float
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the engine exited with {proc.returncode}")
        try:
            _reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.2)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise RuntimeError(f"the engine did not listen on {host}:{port} within {within:.0f} s")
