"""The fault injector: carries out a plan (faults.py) against the soak's world, one fault at a
time, and measures how long each takes to recover (the part it broke serving again)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bench.soak.faults import FaultKind, FaultRecord, PlannedFault
from bench.soak.world import Child, fill
from hotline.sandbox import Sandbox, SandboxError

RECOVERY_TIMEOUT: Final = 90.0
# Starts of Asterisk after its SIGKILL, START_GAP seconds apart, while the dying one holds
# its control socket.
START_TRIES: Final = 5
START_GAP: Final = 1.0
DISK_FULL_LEAVE_MB: Final = 2
LOCKED_TABLES: Final = "calls, call_events, readings, queue_events"
_CONNECTED = re.compile(r"^hotline_ami_connected\{[^}]*\} ([0-9.]+)$", re.MULTILINE)
_SS_ROW = re.compile(r"127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:(\d+)\s+users:.*pid=(\d+),")


def scrape(port: int, timeout: float = 2.0) -> str:
    """The engine's /metrics text ('' if it does not answer)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout) as r:
            return str(r.read().decode())
    except OSError:
        return ""


def ami_connected(metrics: str) -> bool:
    return any(float(v) == 1.0 for v in _CONNECTED.findall(metrics))


def engine_ami_ports(ami_port: int, engine_pid: int) -> list[int]:
    """The local ports of the engine's connections to AMI."""
    out = subprocess.run(
        ["ss", "-tnpH", "state", "established", f"dport = :{ami_port}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [int(m.group(1)) for m in _SS_ROW.finditer(out) if int(m.group(3)) == engine_pid]


def drop_connections(ami_port: int, local_ports: list[int]) -> None:
    for local in local_ports:
        subprocess.run(
            ["ss", "-K", "-tnH", f"dport = :{ami_port}", "and", f"sport = :{local}"],
            capture_output=True,
            check=True,
        )


class NothingToBreak(Exception):
    """The fault's target is not there to break (the reason is logged and counted)."""


AMI_WAIT: Final = 15.0  # seconds an AMI cut waits for the engine's connection


@dataclass
class Database:
    """The private PostgreSQL's controls (tests/chaos_pg.PrivatePostgres)."""

    stop: Callable[[], None]
    start: Callable[[], None]
    lock: Callable[[float], None]  # hold a lock on the call log's tables for N seconds


LOCK_TRIES: Final = 5


def psycopg_lock(dsn: str) -> Callable[[float], None]:
    def lock(seconds: float) -> None:
        import psycopg
        from psycopg.errors import DeadlockDetected

        for attempt in range(LOCK_TRIES):
            with psycopg.connect(dsn, autocommit=False, connect_timeout=5) as conn:
                try:
                    conn.execute(f"LOCK TABLE {LOCKED_TABLES} IN ACCESS EXCLUSIVE MODE")
                except DeadlockDetected:
                    # The tables are locked one by one: an engine transaction holding one
                    # and waiting for another makes PostgreSQL give up on us.  Again.
                    if attempt == LOCK_TRIES - 1:
                        raise
                    continue
                time.sleep(seconds)  # in a worker thread: the lock is the fault
                conn.rollback()
                return

    return lock


class Injector:
    def __init__(
        self,
        sandbox: Sandbox,
        engine: Child,
        console: Child,
        database: Database,
        recordings: Path,
        log: Callable[[str], None],
    ) -> None:
        self.sandbox = sandbox
        self.engine = engine
        self.console = console
        self.database = database
        self.recordings = recordings
        self.records: list[FaultRecord] = []
        # Asterisk down: [start, end], seconds since the epoch (as AMI stamps events): the
        # auditor excuses silence then.
        self.asterisk_down: list[tuple[float, float]] = []
        # Every fault as [start, end of its recovery], seconds since the epoch, by kind.
        self.spans: list[tuple[FaultKind, float, float]] = []
        self._log = log
        settings = sandbox.settings
        self._metrics_port = settings.metrics.port
        self._ami_port = settings.ami.port
        self._actions: dict[FaultKind, Callable[[float], Coroutine[Any, Any, None]]] = {
            FaultKind.ENGINE_KILL: self._engine_kill,
            FaultKind.ENGINE_STOP: self._engine_stop,
            FaultKind.ASTERISK_RESTART: self._asterisk_restart,
            FaultKind.ASTERISK_KILL: self._asterisk_kill,
            FaultKind.CONSOLE_RESTART: self._console_restart,
            FaultKind.DB_DOWN: self._db_down,
            FaultKind.DB_LOCK: self._db_lock,
            FaultKind.DISK_FULL: self._disk_full,
            FaultKind.AMI_DROP: self._ami_drop,
        }

    async def run(self, plan: list[PlannedFault], origin: float) -> None:
        for fault in plan:
            delay = origin + fault.at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            started, wall = time.monotonic(), time.time()
            record = FaultRecord(fault, round(started - origin, 1))
            self.records.append(record)
            self._log(f"fault at {record.started:.1f} s: {fault.kind} (hold {fault.hold:g} s)")
            try:
                async with asyncio.timeout(RECOVERY_TIMEOUT + fault.hold):
                    await self._actions[fault.kind](fault.hold)
                record.recovered = round(time.monotonic() - origin, 1)
            except asyncio.CancelledError:  # Ctrl-C: the table shows where it was cut
                record.error = "interrupted"
                raise
            except NothingToBreak as exc:  # not the injector's failure: counted apart
                record.skipped = str(exc)
                record.recovered = round(time.monotonic() - origin, 1)
                self._log(f"fault {fault.kind} skipped: {record.skipped}")
            except Exception as exc:  # the table shows it; the run goes on
                record.error = f"{type(exc).__name__}: {exc}"[:200]
                self._log(f"fault {fault.kind} did not recover: {record.error}")
            self.spans.append((fault.kind, wall, time.time()))

    # --- recovery checks ------------------------------------------------------------------
    async def engine_serving(self) -> None:
        """The engine listens for FastAGI and is logged in to AMI."""
        await self.engine.wait_listening(RECOVERY_TIMEOUT)
        # Bounded: with Asterisk gone the engine never logs in, and a soak that waits for it
        # for ever hangs `make test` (it did once, after a restart fault whose Asterisk never
        # came back) where it must fail with its report.
        async with asyncio.timeout(RECOVERY_TIMEOUT):
            while True:  # polled: the engine is another process
                if ami_connected(await asyncio.to_thread(scrape, self._metrics_port)):
                    return
                await asyncio.sleep(0.2)

    # --- the faults -----------------------------------------------------------------------
    async def _restart_engine(self, sig: signal.Signals) -> None:
        await asyncio.to_thread(self.engine.signal, sig)
        self.engine.start()
        await self.engine_serving()

    async def _engine_kill(self, _hold: float) -> None:
        await self._restart_engine(signal.SIGKILL)

    async def _engine_stop(self, _hold: float) -> None:
        await self._restart_engine(signal.SIGTERM)

    async def _asterisk_restart(self, _hold: float) -> None:
        started = time.time()
        try:
            await asyncio.to_thread(self.sandbox.restart_asterisk)
        except SandboxError as exc:
            # `core restart now` re-executes Asterisk, and under load the new process can fail
            # to come up: an operator would start it again, and so does the soak.
            self._log(f"Asterisk did not come back from its restart ({exc}); starting it")
            await self._start_asterisk_again()
        self.asterisk_down.append((started, time.time()))
        await self.engine_serving()

    async def _asterisk_kill(self, _hold: float) -> None:
        started = time.time()
        pid = self.sandbox.control.pid()
        if pid is None:
            raise RuntimeError("Asterisk is not running")
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            if self.sandbox.control.pid() is None:
                break
            await asyncio.sleep(0.05)
        await self._start_asterisk_again()
        self.asterisk_down.append((started, time.time()))
        await self.engine_serving()

    async def _start_asterisk_again(self) -> None:
        """``sandbox.up`` after a SIGKILL, tried again while the killed Asterisk still holds its
        control socket: under load a dying process leaves /proc (so ``pid()`` is None) before
        its sockets close, and the new one refuses with "Asterisk already running"."""
        for attempt in range(1, START_TRIES + 1):
            try:
                await asyncio.to_thread(self.sandbox.up)
                return
            except SandboxError as exc:
                if attempt == START_TRIES or "already running" not in str(exc):
                    raise
                await asyncio.sleep(START_GAP)

    async def _console_restart(self, _hold: float) -> None:
        await asyncio.to_thread(self.console.signal, signal.SIGKILL)
        self.console.start()
        await self.console.wait_listening(RECOVERY_TIMEOUT)

    async def _db_down(self, hold: float) -> None:
        await asyncio.to_thread(self.database.stop)
        try:
            await asyncio.sleep(hold)
        finally:
            await asyncio.to_thread(self.database.start)

    async def _db_lock(self, hold: float) -> None:
        await asyncio.to_thread(self.database.lock, hold)

    async def _disk_full(self, hold: float) -> None:
        filler = await asyncio.to_thread(fill, self.recordings, DISK_FULL_LEAVE_MB)
        try:
            await asyncio.sleep(hold)
        finally:
            with contextlib.suppress(FileNotFoundError):
                await asyncio.to_thread(filler.unlink)

    async def _ami_drop(self, _hold: float) -> None:
        ports = await self._engine_ami_ports()
        await asyncio.to_thread(drop_connections, self._ami_port, ports)
        await asyncio.sleep(0.3)
        await self.engine_serving()

    async def _engine_ami_ports(self) -> list[int]:
        """The engine's AMI connections, waited for up to AMI_WAIT (the engine reconnecting
        after the previous fault); NothingToBreak if it still has none."""
        deadline = time.monotonic() + AMI_WAIT
        while True:
            pid = self.engine.pid
            ports = (
                []
                if pid is None
                else await asyncio.to_thread(engine_ami_ports, self._ami_port, pid)
            )
            if ports:
                return ports
            if time.monotonic() > deadline:
                raise NothingToBreak(
                    f"the engine (pid {pid}) had no AMI connection for {AMI_WAIT:g} s"
                )
            await asyncio.sleep(0.5)
