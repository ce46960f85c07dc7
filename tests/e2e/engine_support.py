"""Helpers for end-to-end tests that run the engine against the real Asterisk sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from hotline.app import resolve_ami_secret
from hotline.calls.simulator import Simulator, Transcript
from hotline.dialplan.names import CONTEXT_SIMULATED_CARRIER
from hotline.settings import Settings, load_settings
from hotline.settings.sections import AmiRole
from hotline.store.calllog import CallLog, CallRecord
from hotline.store.db import Database
from hotline.transport.ami import AmiClient, Subscription
from tests.log_audit import log_file

# Short waits keep silent-caller calls quick; the flow is the same as with the defaults.
FAST_IVR = {"ivr": {"input_timeout": 1.5, "max_rounds": 2}}
# Operators around the clock, so no test depends on the hour CI runs at; the tests of
# out-of-hours behaviour close the day with a calendar override.
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALWAYS_OPEN = {"hours": {day: "00:00-24:00" for day in (*WEEK, "holiday_hours")}}


def engine_settings(db_file: Path, **sections: dict[str, Any]) -> Settings:
    overrides: dict[str, Any] = {
        "store": {"url": f"sqlite+aiosqlite:///{db_file}"},
        **FAST_IVR,
        **ALWAYS_OPEN,
        # A worker's sandbox keeps every test's recordings in one folder, each test has its
        # own store: indexing "missed" files would adopt the other tests' recordings.
        "resilience": {"recordings_index_seconds": 0},
    }
    for name, values in sections.items():
        overrides[name] = {**overrides.get(name, {}), **values}
    return load_settings(overrides=overrides)


def cli_overrides(settings: Settings) -> list[str]:
    """The same settings as --set flags, for an engine started as a separate process."""
    return [
        "--set",
        f"store.url={settings.database_url}",
        "--set",
        f"ivr.input_timeout={settings.ivr.input_timeout}",
        "--set",
        f"ivr.max_rounds={settings.ivr.max_rounds}",
        "--set",
        f"resilience.recordings_index_seconds={settings.resilience.recordings_index_seconds}",
        *[f for day in (*WEEK, "holiday_hours") for f in ("--set", f"hours.{day}=00:00-24:00")],
    ]


@contextlib.asynccontextmanager
async def simulator(settings: Settings) -> AsyncIterator[tuple[Simulator, CallLog, AmiClient]]:
    db = Database.from_settings(settings)
    await db.upgrade()
    # The engine's user is not sent the dialplan steps of the inbound context and the menu's
    # levels (ENGINE_UNREAD_CONTEXTS), which the simulator follows: it takes the CLI's user,
    # as `hotline call simulate` does.
    role = AmiRole.CLI
    ami = AmiClient(settings.ami, resolve_ami_secret(settings, role), role=role)
    try:
        async with ami:
            call_log = CallLog(db)
            yield Simulator(ami, call_log, settings.simulate), call_log, ami
    finally:
        await db.dispose()


async def simulate(settings: Settings, dtmf: str, caller_id: str | None = None) -> Transcript:
    async with simulator(settings) as (sim, _log, _ami):
        return await sim.run(dtmf, caller_id)


@contextlib.contextmanager
def engine_process(
    settings: Settings,
    sets: Mapping[str, object] | None = None,
    *,
    name: str = "engine",
    runner: Sequence[str] = ("hotline.cli",),
) -> Iterator[subprocess.Popen[bytes]]:
    """`hotline run` as a child process (so a test can kill it mid-call), with ``sets`` as
    ``--set`` flags besides the engine tests' own; ``runner`` is the module (and its own
    arguments) that takes the CLI's arguments."""
    extra = [a for key, value in (sets or {}).items() for a in ("--set", f"{key}={value}")]
    argv = [sys.executable, "-m", *runner, *cli_overrides(settings), *extra, "run"]
    # Its log goes to the session's log folder, which the log audit greps (issue 14, M7).
    with log_file(name).open("wb") as sink:
        proc = subprocess.Popen(argv, env=dict(os.environ), stdout=sink, stderr=sink)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


async def wait_for_node(call_log: CallLog, node: str, within: float = 30.0) -> CallRecord:
    """The latest call, once the IVR has logged entering ``node``."""
    async with asyncio.timeout(within):
        while True:
            records = await call_log.recent(limit=1)
            if records and node in records[0].path:
                return records[0]
            await asyncio.sleep(0.1)


# Generous: a process starting on a 2-core machine busy with parallel test workers (it
# returns as soon as the port answers).
PORT_TIMEOUT = 60.0


async def wait_for_port(host: str, port: int, timeout: float = PORT_TIMEOUT) -> None:
    async with asyncio.timeout(timeout):
        while True:
            try:
                _r, writer = await asyncio.open_connection(host, port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            return


def udp_bound(port: int) -> bool:
    """Some socket on this machine (its chroots share the network) holds UDP ``port``."""
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        with open(table, encoding="ascii") as rows:
            next(rows)
            for row in rows:
                if int(row.split()[1].rsplit(":", 1)[1], 16) == port:
                    return True
    return False


async def wait_for_udp_port(port: int, timeout: float = PORT_TIMEOUT) -> None:
    async with asyncio.timeout(timeout):
        while not await asyncio.to_thread(udp_bound, port):
            await asyncio.sleep(0.05)


async def count_carrier_calls(
    events: Subscription, dialled: Counter[str], stamps: list[float] | None = None
) -> None:
    """Asterisk's own count of calls to each number (the simulated carrier's leg of each
    ``Newchannel`` in ``events``), independent of our database; ``stamps``: when each began."""
    async for event in events:
        if event.get("context") == CONTEXT_SIMULATED_CARRIER and event.get("channel").endswith(
            ";2"
        ):
            dialled["+" + event.get("exten")] += 1
            if stamps is not None:
                stamps.append(time.monotonic())
