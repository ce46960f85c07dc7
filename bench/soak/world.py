"""What the soak runs and breaks: its own sandbox instance (ports apart from the caller's,
so it can run beside the other end-to-end tests), a private PostgreSQL, a small tmpfs for the
recordings, and the engine and the console as child processes that can be killed and started
again."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from hotline.settings import Settings, load_settings

# Every port the soak's sandbox, engine and console bind: free ones, picked at the start (a
# fixed shift from the configured ones would land on another test worker's or sandbox's).
PORTED: Final = {
    "ami": ("port",),
    "fastagi": ("port",),
    "sandbox": ("sip_port", "sim_trunk_port"),
    "web": ("port",),
    "metrics": ("port", "prometheus_port"),
    "sms": ("admin_port", "box_port", "sendsms_port", "fake_smsc_port", "dlr_port"),
}
WEEK: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
RECORDINGS_TMPFS_MB: Final = 48  # the least; a longer run gets more (recordings_tmpfs_mb)
# What the soak's load records in a minute, with room to spare: the 55-minute run of seed
# 2160 wrote ~1.3 MB a minute and filled 48 MB after half an hour (then every call went
# unrecorded and the disk-full fault had nothing left to fill).
RECORDINGS_MB_PER_MINUTE: Final = 4
RECORDINGS_MIN_FREE_MB: Final = 8
PROCESS_START_TIMEOUT: Final = 60.0
FILLER: Final = "soak-filler.bin"  # the disk-full fault's file in the recordings folder


def soak_overrides(base: Settings, store_url: str, work: Path) -> dict[str, dict[str, Any]]:
    """The soak's settings as ``section -> key -> value`` (for load_settings and as
    ``--set`` flags for the child processes)."""
    overrides: dict[str, dict[str, Any]] = {}
    taken: set[int] = set()
    for section, keys in PORTED.items():
        overrides[section] = {key: free_port(key in UDP_PORTS, taken) for key in keys}
    instance = (base.sandbox.instance or "main")[:27] + "-soak"
    overrides["sandbox"]["instance"] = instance
    overrides["store"] = {"url": store_url}
    overrides["paths"] = {"data_dir": str(work / "data"), "recordings_dir": str(work / "rec")}
    overrides["hours"] = {day: "00:00-24:00" for day in (*WEEK, "holiday_hours")}
    overrides["ivr"] = {"input_timeout": 1.5, "max_rounds": 2}
    # Reconciliation of the call log sooner than the default minute: the auditor looks a few
    # seconds after the load.
    overrides["resilience"] = {
        "recordings_min_free_mb": RECORDINGS_MIN_FREE_MB,
        "call_log_reconcile_seconds": 3.0,
        "recordings_index_seconds": 3.0,
    }
    overrides["simulate"] = {"max_call_seconds": 60.0, "queue_linger_seconds": 3.0}
    overrides["web"] |= {"include_simulated": True, "wallboard_min_interval": 0.5}
    return overrides


UDP_PORTS: Final = frozenset({"sip_port", "sim_trunk_port"})


def free_port(udp: bool, taken: set[int]) -> int:
    """A loopback port nobody holds now (UDP or TCP), not already handed out."""
    kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
    while True:
        with socket.socket(socket.AF_INET, kind) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port not in taken:
            taken.add(port)
            return port


def soak_settings(overrides: dict[str, dict[str, Any]]) -> Settings:
    return load_settings(overrides=overrides)


def set_flags(overrides: dict[str, dict[str, Any]]) -> list[str]:
    return [
        flag
        for section, values in overrides.items()
        for key, value in values.items()
        for flag in ("--set", f"{section}.{key}={value}")
    ]


def recordings_tmpfs_mb(minutes: float) -> int:
    """The recordings file system's size for a run of ``minutes``: what its load records,
    so only the disk-full fault ever fills it."""
    return max(
        RECORDINGS_TMPFS_MB, RECORDINGS_MIN_FREE_MB * 2 + int(minutes * RECORDINGS_MB_PER_MINUTE)
    )


@contextlib.contextmanager
def recordings_tmpfs(folder: Path, size_mb: int = RECORDINGS_TMPFS_MB) -> Iterator[Path]:
    """A small file system of its own for the recordings, so "disk full" fills only it."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "soak-rec", str(folder)],
        check=True,
        capture_output=True,
    )
    try:
        yield folder
    finally:
        for _ in range(10):  # the sandbox's bind of it goes first (Sandbox.down)
            done = subprocess.run(["umount", str(folder)], capture_output=True, check=False)
            if done.returncode == 0:
                break
            time.sleep(0.5)


def fill(folder: Path, leave_mb: int) -> Path:
    """Fill ``folder``'s file system until ``leave_mb`` MB are left; the filler's path.  A
    file system already that full stays as it is (an empty filler): the fault is in effect
    (posix_fallocate refuses a length of 0 with EINVAL), and a write racing the filler may
    leave it a little short (ENOSPC): full all the same."""
    usage = shutil.disk_usage(folder)
    filler = folder / FILLER
    size = max(0, usage.free - leave_mb * 1024 * 1024)
    with filler.open("wb") as handle:
        if size > 0:
            try:
                os.posix_fallocate(handle.fileno(), 0, size)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
    return filler


@dataclass
class Child:
    """A ``hotline`` command as a child process, restartable."""

    name: str
    argv: list[str]
    log: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    exits: list[int] = field(default_factory=list)

    def start(self) -> None:
        with self.log.open("ab") as sink:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
                env=dict(os.environ),
                start_new_session=True,
            )
        self.starts += 1

    def signal(self, sig: signal.Signals, within: float = 30.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.exits.append(self.proc.wait(within))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.exits.append(self.proc.wait(10))

    def stop(self) -> None:
        self.signal(signal.SIGTERM)

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    async def wait_listening(self, within: float = PROCESS_START_TIMEOUT) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            return
        raise RuntimeError(f"{self.name} did not listen on {self.port} within {within:g} s")


def hotline_child(
    name: str, overrides: dict[str, dict[str, Any]], command: str, log: Path, port: int
) -> Child:
    argv = [sys.executable, "-m", "hotline.cli", *set_flags(overrides), command]
    return Child(name, argv, log, port)
