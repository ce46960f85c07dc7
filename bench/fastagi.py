"""FastAGI: server CPU per session of our FastAgiServer against a raw-asyncio floor.

Shape (anchors-performance.md §4, item 1): a fake Asterisk in its own process drives N sessions
of 10 commands each, C at a time, against each server in turn (the servers idle in their own
processes, pinned to another core than the driver).  Server CPU comes from /proc/<pid>/stat
around each run (user and system); a warm-up run per server is discarded.  Rows: the floor,
ours (logging not set up, like the floor and panoramisk; its start-up heap frozen, as
``hotline run`` freezes the engine's), ours with production INFO logging, and panoramisk 1.4
for reference.

Paired rounds: every round runs each server once (the order rotating), and each server's
ratio is taken against the floor of the same round; the median of those per-round ratios is
the figure.  On a loaded shared machine the absolute CPU per session drifts by tens of percent
between minutes, but a round is a short stretch in which all servers see the same load.
Goal (issue 19 item 2): ours+info/floor <= 1.1, with production logging on.

``--rate R`` paces sessions (open loop) instead of running them back to back: below saturation
every reply costs its own event-loop wake-up, as in production, and runs vary less.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from dataclasses import dataclass

from bench.common import (
    client_cpu,
    cpu_seconds,
    machine_line,
    median,
    python_module,
    server_cpu,
)

GOAL = 1.1
# The row the goal applies to: production logging on.
GOAL_ROW = "ours+info"
# Row name → (server kind, our logging).  "ours" is compared like for like with the floor and
# panoramisk, which log nothing; "ours+info" adds the production logging (one INFO line per
# call through hotline.core.logs, to /dev/null).
SERVERS: dict[str, tuple[str, str | None]] = {
    "floor": ("floor", None),
    "ours": ("ours", None),
    "ours+info": ("ours", "INFO"),
    "panoramisk": ("panoramisk", None),
}


@dataclass
class Run:
    sessions_per_s: float
    cpu_ms_per_session: float
    user_ms_per_session: float
    p50_ms: float
    p99_ms: float


class ServerProcess:
    def __init__(self, name: str) -> None:
        kind, log_level = SERVERS[name]
        args = ["--kind", kind]
        if server_cpu() is not None:
            args += ["--cpu", str(server_cpu())]
        if log_level:
            args += ["--log-level", log_level]
        self.kind = name
        self.proc = python_module(
            "bench.fastagi_servers",
            *args,
            stderr=subprocess.DEVNULL if log_level else None,
        )
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline().split()
        if len(ready) != 2 or ready[0] != "READY":
            self.stop()
            raise RuntimeError(f"{name} server did not start")
        self.port = int(ready[1])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def drive(
    server: ServerProcess, sessions: int, concurrency: int, rate: float | None = None
) -> tuple[Run, dict[str, object]]:
    args = ["--port", str(server.port), "--sessions", str(sessions)]
    args += ["--concurrency", str(concurrency)]
    if rate:
        args += ["--rate", str(rate)]
    if client_cpu() is not None:
        args += ["--cpu", str(client_cpu())]
    before = cpu_seconds(server.proc.pid)
    client = python_module("bench.fastagi_client", *args)
    out, _ = client.communicate(timeout=900)
    time.sleep(0.2)  # let the server finish closing the last sockets before reading its CPU
    after = cpu_seconds(server.proc.pid)
    if client.returncode != 0:
        raise RuntimeError(f"driver failed against {server.kind} (exit {client.returncode})")
    result = json.loads(out)
    if result["errors"] or result["short_sessions"] or result["sessions"] != sessions:
        raise RuntimeError(f"{server.kind}: sessions went wrong: {result}")
    user = (after[0] - before[0]) * 1000 / sessions
    run = Run(
        sessions_per_s=sessions / result["wall"],
        cpu_ms_per_session=user + (after[1] - before[1]) * 1000 / sessions,
        user_ms_per_session=user,
        p50_ms=result["p50"] * 1000,
        p99_ms=result["p99"] * 1000,
    )
    return run, result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sessions", type=int, default=4000, help="sessions per run")
    parser.add_argument("--concurrency", type=int, default=50, help="sessions at a time")
    parser.add_argument(
        "--repeat", type=int, default=7, help="paired rounds (each runs every server once)"
    )
    parser.add_argument("--warmup", type=int, default=500, help="sessions in the discarded run")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="pace new sessions at this many per second (open loop) instead of running "
        "--concurrency sessions back to back; every server then sees the same arrivals",
    )
    parser.add_argument(
        "--servers",
        default=",".join(SERVERS),
        help=f"comma-separated, from {', '.join(SERVERS)} (floor and ours are always run)",
    )
    parser.add_argument(
        "--check", action="store_true", help=f"exit 1 if {GOAL_ROW}/floor is above {GOAL}"
    )


def run(options: argparse.Namespace) -> int:
    print(f"machine: {machine_line()}")
    shape = f"paced at {options.rate:g}/s, at most" if options.rate else "concurrency"
    print(
        f"fastagi: {options.sessions} sessions x 10 commands, {shape} {options.concurrency}, "
        f"{options.repeat} paired rounds (warm-up {options.warmup} discarded), "
        f"load average {load_average()}"
    )
    wanted = {"floor", "ours", GOAL_ROW, *options.servers.split(",")}
    kinds = [k for k in SERVERS if k in wanted]
    servers = {kind: ServerProcess(kind) for kind in kinds}
    runs: dict[str, list[Run]] = {kind: [] for kind in kinds}
    try:
        first = {}
        for kind in kinds:
            _, result = drive(servers[kind], options.warmup, options.concurrency)
            first[kind] = result["first_commands"]
        if any(commands != first["floor"] for commands in first.values()):
            raise RuntimeError(f"servers sent different commands: {first}")
        for i in range(options.repeat):
            # Rotate the order so that no server always runs first (or last) in a round.
            for kind in kinds[i % len(kinds) :] + kinds[: i % len(kinds)]:
                run = drive(servers[kind], options.sessions, options.concurrency, options.rate)
                runs[kind].append(run[0])
    finally:
        for server in servers.values():
            server.stop()

    print(
        f"{'server':<11}{'sessions/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/session':>16}"
        f"{'(user)':>8}  runs"
    )
    for kind in kinds:
        cpu = [r.cpu_ms_per_session for r in runs[kind]]
        print(
            f"{kind:<11}{median([r.sessions_per_s for r in runs[kind]]):>12.0f}"
            f"{median([r.p50_ms for r in runs[kind]]):>9.2f}"
            f"{median([r.p99_ms for r in runs[kind]]):>9.2f}"
            f"{median(cpu):>16.3f}{median([r.user_ms_per_session for r in runs[kind]]):>8.3f}  "
            + " ".join(f"{c:.3f}" for c in cpu)
        )
    ratios = {kind: paired_ratio(runs[kind], runs["floor"]) for kind in kinds[1:]}
    for kind, (ratio, per_round) in ratios.items():
        if kind == GOAL_ROW:
            verdict = "within goal" if ratio <= GOAL else "ABOVE GOAL"
            note = f"goal <= {GOAL}: {verdict}"
        else:
            note = "for reference"
        rounds = " ".join(f"{r:.2f}" for r in per_round)
        print(f"ratio {kind}/floor, server CPU per session: {ratio:.2f} ({note}); rounds {rounds}")
    print(f"load average after: {load_average()}")
    return 1 if options.check and ratios[GOAL_ROW][0] > GOAL else 0


def paired_ratio(runs: list[Run], floor: list[Run]) -> tuple[float, list[float]]:
    """The median of the per-round ratios to the floor, and those ratios."""
    per_round = [
        run.cpu_ms_per_session / base.cpu_ms_per_session
        for run, base in zip(runs, floor, strict=True)
    ]
    return median(per_round), per_round


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())
