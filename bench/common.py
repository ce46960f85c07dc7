"""Helpers shared by benchmarks: child processes, CPU accounting, statistics."""

from __future__ import annotations

import os
import platform
import signal
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def machine_line() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{model}, {os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}, Linux {platform.release()}"
    )


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(user, system) CPU of a process, all threads, from /proc/<pid>/stat, in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may contain spaces
    return int(fields[11]) / _TICK, int(fields[12]) / _TICK  # utime, stime: proc(5) 14, 15


def pin_to_cpu(index: int | None) -> None:
    """Keep driver and server on different cores so they do not steal from each other."""
    if index is None:
        return
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpus[index % len(cpus)]})


def server_cpu() -> int | None:
    return 0 if (os.cpu_count() or 1) > 1 else None


def client_cpu() -> int | None:
    return 1 if (os.cpu_count() or 1) > 1 else None


def python_module(module: str, *args: str, stderr: int | None = None) -> subprocess.Popen[str]:
    """Start ``python -m module args`` with this interpreter, the repo first on sys.path, and
    stdout piped back (stderr inherited unless redirected)."""
    root = str(Path(__file__).resolve().parent.parent)
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=dict(os.environ, PYTHONPATH=path),
        cwd=root,
    )


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def py_spy(
    pid: int | None, out: Path | None, *, rate: int, idle: bool = False
) -> subprocess.Popen[bytes] | None:
    """py-spy sampling ``pid`` into a speedscope file ``out`` (where its time goes under
    load), or None when not asked.  ``--nonblocking``: py-spy's default stops the process for
    every sample, which a bench would measure as latency or loop lag.  ``idle``: a sample every
    tick whatever the thread does, so the samples are a timeline."""
    if out is None or pid is None:
        return None
    spy = Path(sys.executable).parent / "py-spy"
    argv = [str(spy), "record", "--pid", str(pid), "--rate", str(rate), "--nonblocking"]
    argv += ["--idle"] if idle else []
    argv += ["--format", "speedscope", "--output", str(out)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL)


def stop_py_spy(profiler: subprocess.Popen[bytes] | None) -> None:
    """py-spy writes its file on ^C."""
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)
        profiler.wait(120)
