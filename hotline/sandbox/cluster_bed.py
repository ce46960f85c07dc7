"""``hotline cluster up/down/status`` (issue 20 item 5): Kamailio, two Asterisk nodes and two
engine workers on PostgreSQL, on this one machine (the plan: :mod:`cluster_plan`).

Synchronous like the rest of the sandbox (it serves the CLI and test fixtures; async callers
use ``asyncio.to_thread``).  Every process ``up`` starts leaves a pid file (pid and start time,
so a recycled pid is never signalled) in the plan's run folder; ``down`` stops exactly those
and the nodes' sandbox instances, nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hotline.dialplan.kamailio_config import CONFIG_FILE, DISPATCHER_FILE, render_kamailio
from hotline.sandbox.cluster_plan import BedError, BedNode, BedPlan, BedWorker, plan_bed
from hotline.sandbox.sandbox import Sandbox
from hotline.settings import CONFIG_ENV, Settings
from hotline.store.db import Database

Progress = Callable[[str], None]

KAMAILIO: Final = "kamailio"
KAMAILIO_PART: Final = "kamailio"
_POLL: Final = 0.1
_STOP_GRACE: Final = 15.0
_TCP_LISTEN: Final = "0A"


@dataclass(frozen=True)
class Part:
    kind: str  # "node", "kamailio", "worker"
    name: str
    running: bool
    detail: str

    def describe(self) -> str:
        state = "running" if self.running else "stopped"
        return f"{self.kind:<8} {self.name:<16} {state:<8} {self.detail}"


# --- processes by pid file --------------------------------------------------------------------
def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks (/proc/PID/stat field 22); None if gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return fields[19]


def _write_pid(path: Path, pid: int) -> None:
    path.write_text(f"{pid} {_start_time(pid) or ''}\n", encoding="ascii")


def _read_pid(path: Path) -> int | None:
    """The pid in ``path`` if that very process (same start time) still runs."""
    try:
        pid_text, _, started = path.read_text(encoding="ascii").strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    return pid if started and _start_time(pid) == started else None


def _stop_pid(path: Path) -> bool:
    """SIGTERM the process of ``path``, SIGKILL it after a grace; True if it ran."""
    pid = _read_pid(path)
    path.unlink(missing_ok=True)
    if pid is None:
        return False
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + _STOP_GRACE
        while _start_time(pid) is not None and time.monotonic() < deadline:
            time.sleep(_POLL)
        if _start_time(pid) is None:
            return True
    raise BedError(f"process {pid} survived SIGKILL")


def _listening(port: int, udp: bool) -> bool:
    """Some socket on this machine holds ``port`` (UDP bound, or TCP listening)."""
    tables = ("/proc/net/udp", "/proc/net/udp6") if udp else ("/proc/net/tcp", "/proc/net/tcp6")
    for table in tables:
        with open(table, encoding="ascii") as rows:
            next(rows)
            for row in rows:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and (
                    udp or fields[3] == _TCP_LISTEN
                ):
                    return True
    return False


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class ClusterBed:
    def __init__(
        self,
        settings: Settings,
        progress: Progress | None = None,
        log_dir: Path | None = None,
        worker_args: Sequence[str] = (),
        config_file: Path | None = None,
        runners: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """``worker_args``: put before ``run`` on each worker's command line (``--set``
        overrides: they win over the plan's addresses).  ``runners``: by worker name, the
        module (and its own arguments) run with ``python -m`` instead of ``hotline.cli``
        (a test's hook)."""
        self.plan: BedPlan = plan_bed(settings)
        self._progress: Progress = progress or (lambda _line: None)
        self.log_dir = log_dir or self.plan.run_dir
        self._worker_args = tuple(worker_args)
        self._config_file = config_file
        self._runners = dict(runners or {})
        self._children: list[subprocess.Popen[bytes]] = []

    @property
    def settings(self) -> Settings:
        return self.plan.settings

    def node(self, name: str) -> BedNode:
        return next(n for n in self.plan.nodes if n.spec.name == name)

    def sandbox(self, node: BedNode) -> Sandbox:
        sip_match = (self.settings.cluster.kamailio.listen_host,)
        return Sandbox(node.settings, progress=self._progress, sip_match=sip_match)

    @property
    def kamailio_dir(self) -> Path:
        return self.plan.run_dir / KAMAILIO_PART

    @property
    def kamailio_log(self) -> Path:
        return self.log_dir / f"{KAMAILIO_PART}.log"

    def worker_log(self, worker: BedWorker) -> Path:
        return self.log_dir / f"{worker.name}.log"

    def _pid_file(self, name: str) -> Path:
        return self.plan.run_dir / f"{name}.pid"

    # --- up -----------------------------------------------------------------------------------
    def up(self) -> list[Part]:
        """Start what is not running yet: the nodes (in parallel), Kamailio, the workers."""
        self.plan.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=len(self.plan.nodes)) as pool:
            for status in pool.map(lambda n: self.sandbox(n).up(), self.plan.nodes):
                self._progress(f"node up: {status.sip}, AMI {status.ami}")
        self._start_kamailio()
        # Once, before the workers (each upgrades at start; two at once would race).
        asyncio.run(_upgrade(self.settings.database_url))
        for worker in self.plan.workers:
            self._start_worker(worker)
        for worker in self.plan.workers:
            self._wait_worker(worker)
        return self.status()

    def _spawn(self, name: str, argv: list[str], log: Path, env: dict[str, str]) -> None:
        with log.open("ab") as sink:
            child = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self._children.append(child)
        _write_pid(self._pid_file(name), child.pid)

    def _wait(self, name: str, ready: Callable[[], bool], log: Path) -> None:
        deadline = time.monotonic() + self.settings.cluster.bed.start_timeout
        while not ready():
            if _read_pid(self._pid_file(name)) is None:
                raise BedError(f"{name} exited while starting:\n{_tail(log)}")
            if time.monotonic() > deadline:
                raise BedError(f"{name} did not start in time:\n{_tail(log)}")
            time.sleep(_POLL)

    def _start_kamailio(self) -> None:
        if _read_pid(self._pid_file(KAMAILIO_PART)) is not None:
            return
        binary = shutil.which(KAMAILIO) or shutil.which(f"/usr/sbin/{KAMAILIO}")
        if binary is None:
            raise BedError("kamailio not found: install Debian's kamailio package")
        folder = self.kamailio_dir
        (folder / "run").mkdir(parents=True, exist_ok=True)
        files = render_kamailio(self.settings, str(folder / DISPATCHER_FILE))
        (folder / CONFIG_FILE).write_text(files.config, encoding="utf-8")
        (folder / DISPATCHER_FILE).write_text(files.dispatcher, encoding="utf-8")
        argv = [
            binary, "-DD", "-E",
            "-f", str(folder / CONFIG_FILE),
            "-Y", str(folder / "run"),
            "-P", str(folder / "kamailio.pid"),
            "-m", "64", "-M", "8",
        ]  # fmt: skip
        self._spawn(KAMAILIO_PART, argv, self.kamailio_log, dict(os.environ))
        port = self.settings.cluster.kamailio.listen_port
        self._wait(KAMAILIO_PART, lambda: _listening(port, udp=True), self.kamailio_log)
        self._progress(f"kamailio up: udp {self.settings.cluster.kamailio.listen_port}")

    def _start_worker(self, worker: BedWorker) -> None:
        if _read_pid(self._pid_file(worker.name)) is not None:
            return
        env = {**os.environ, **worker.env}
        if self._config_file is not None:
            env[CONFIG_ENV] = str(self._config_file)
        runner = self._runners.get(worker.name, ("hotline.cli",))
        argv = [sys.executable, "-m", *runner, *self._worker_args, "run"]
        self._spawn(worker.name, argv, self.worker_log(worker), env)

    def _wait_worker(self, worker: BedWorker) -> None:
        def ready() -> bool:
            return _listening(worker.fastagi_port, udp=False) and _listening(
                worker.metrics_port, udp=False
            )

        self._wait(worker.name, ready, self.worker_log(worker))
        self._progress(f"worker up: {worker.name} on node {worker.node}")

    def worker_pid(self, worker: BedWorker) -> int | None:
        return _read_pid(self._pid_file(worker.name))

    # --- down, status -------------------------------------------------------------------------
    def down(self) -> list[str]:
        """Stop the workers, Kamailio and the nodes' Asterisk (unmounting their instances);
        the names of what ran."""
        stopped = [w.name for w in self.plan.workers if _stop_pid(self._pid_file(w.name))]
        if _stop_pid(self._pid_file(KAMAILIO_PART)):
            stopped.append(KAMAILIO_PART)
        with ThreadPoolExecutor(max_workers=len(self.plan.nodes)) as pool:
            ran = list(pool.map(lambda n: self.sandbox(n).down(), self.plan.nodes))
        stopped += [n.instance for n, was in zip(self.plan.nodes, ran, strict=True) if was]
        for child in self._children:
            child.poll()  # reaped: no zombie, no ResourceWarning
        self._children.clear()
        return stopped

    def status(self) -> list[Part]:
        parts = []
        for node in self.plan.nodes:
            box = self.sandbox(node)
            pid = box.control.pid()
            spec = node.spec
            detail = f"instance {node.instance}, SIP {spec.sip_host}:{spec.sip_port}, "
            detail += f"AMI {spec.ami_host}:{spec.ami_port}"
            parts.append(Part("node", spec.name, pid is not None, f"pid {pid}, {detail}"))
        kam = self.settings.cluster.kamailio
        pid = _read_pid(self._pid_file(KAMAILIO_PART))
        detail = f"pid {pid}, udp {kam.listen_host}:{kam.listen_port}"
        parts.append(Part(KAMAILIO_PART, KAMAILIO_PART, pid is not None, detail))
        for worker in self.plan.workers:
            pid = _read_pid(self._pid_file(worker.name))
            detail = f"pid {pid}, node {worker.node}, FastAGI {worker.fastagi_port}, "
            detail += f"/metrics {worker.metrics_port}"
            parts.append(Part("worker", worker.name, pid is not None, detail))
        return parts


async def _upgrade(url: str) -> None:
    db = Database(url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
