"""SIP menu capacity of two Asterisk nodes through Kamailio against one node, in the same run
(issue 20): the test bed of ``hotline cluster up`` (two sandbox instances on 127.0.0.2 and
127.0.0.3, one engine worker per node on PostgreSQL, Kamailio on 127.0.0.1).

The criterion is bench/sip_menu.py's: callers walk the menu by keypad (the same RFC 4733
stream and path), and a system's figure is the most concurrent callers at which every call
succeeded and p99 of the key-to-next-prompt latencies (Asterisk's AMI timestamps, both nodes)
was within ``--limit-ms``.  "one": SIPp calls node n1 directly (Kamailio only relays
signalling; taking it out of this path leaves the same node and worker); "two": SIPp calls
Kamailio, which spreads the calls over both nodes (call load).  Steps alternate which system
goes first.  Goal: two / one >= 1.8.

The bound on one machine: both nodes, both workers, Kamailio and SIPp share this machine's
cores, so two nodes can only beat one where one node is limited by something other than the
CPU.  Each step reports the CPU the nodes' Asterisk and the workers used; from the one-node
figure's step the run prints the CPU bound on the ratio (the machine's cores over what that
step used).  On separate hosts each node brings its own cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Final

from bench import capacity, rtp_dtmf
from bench.common import cpu_seconds, machine_line
from bench.sip_menu_walk import (
    CALLER,
    ENGINE_NUMBER,
    EVENTS,
    LIMIT_MS,
    PATH,
    START_SPREAD_MS,
    WEEK,
    Mark,
    Recorder,
    StepResult,
    Walk,
    figure,
    plan_walk,
    score,
)
from hotline.app import resolve_ami_secret
from hotline.sandbox.cluster_bed import ClusterBed
from hotline.settings import Settings, load_settings
from hotline.speech.library import PromptLibrary
from hotline.transport.ami import AmiClient
from ivr.menu.loader import load_menu

DEFAULT_URL: Final = "postgresql+psycopg://hotline_test:hotline_test@127.0.0.1:5432/hotline_test"
SCENARIO: Final = Path(__file__).parent / "sipp" / "menu_walk_via_proxy.xml"
GOAL: Final = 1.8
STEPS: Final = "8,16,32,64,128"
SYSTEMS: Final = ("one", "two")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", default=STEPS, help="comma-separated concurrent callers")
    parser.add_argument("--limit-ms", type=float, default=LIMIT_MS, help="p99 limit per key")
    parser.add_argument("--key-gap", type=int, default=700, help="ms between keys")
    parser.add_argument("--refine", type=int, default=1, help="steps halving the last gap")
    parser.add_argument(
        "--max-callers", type=int, default=0, help="past --steps: double up to this"
    )
    parser.add_argument("--store", default=None, help="PostgreSQL URL (default: PG_TEST_URL)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--check", action="store_true", help=f"exit 1 below {GOAL}x")


class Driver:
    """SIPp in node n1's chroot, and each node's AMI marks merged (keys prefixed by node:
    two Asterisk may hand out the same uniqueid)."""

    def __init__(self, bed: ClusterBed, walk: Walk, scenario: str) -> None:
        self.bed, self.walk, self.scenario = bed, walk, scenario
        self.box = bed.sandbox(bed.plan.nodes[0])
        self.recorders: dict[str, Recorder] = {}

    def target(self, system: str) -> str:
        if system == "one":
            spec = self.bed.plan.nodes[0].spec
            return f"{spec.sip_host}:{spec.sip_port}"
        proxy = self.bed.settings.cluster.kamailio
        return f"{proxy.listen_host}:{proxy.listen_port}"

    def sipp(self, system: str, callers: int) -> int:
        proxy = self.bed.settings.cluster.kamailio
        argv = [
            self.box.sipp_path, self.target(system),
            "-sf", self.scenario,
            "-key", "caller", CALLER,
            "-s", ENGINE_NUMBER,
            "-d", str(self.walk.total_ms),
            "-i", "127.0.0.1",
            "-mp", str(20000 + (proxy.listen_port % 1000) * 10),
            "-m", str(callers), "-l", str(callers),
            "-r", str(callers), "-rp", str(START_SPREAD_MS),
            "-timeout", str(self.walk.total_ms // 1000 + 30), "-timeout_error",
            "-nostdin",
        ]  # fmt: skip
        return self.box.run_in_chroot(argv, self.walk.total_ms / 1000 + 60).returncode

    def take(self) -> dict[str, list[Mark]]:
        merged: dict[str, list[Mark]] = {}
        for node, recorder in self.recorders.items():
            merged.update({f"{node}/{ch}": marks for ch, marks in recorder.take().items()})
        return merged

    def pids(self) -> list[int]:
        nodes = [self.bed.sandbox(n).control.pid() for n in self.bed.plan.nodes]
        workers = [self.bed.worker_pid(w) for w in self.bed.plan.workers]
        return [p or 0 for p in (*nodes, *workers)]

    def cpu(self, pids: list[int]) -> tuple[float, float]:
        """(the nodes' Asterisk, the workers) CPU seconds so far."""

        def of(pid: int) -> float:
            with contextlib.suppress(OSError):
                return sum(cpu_seconds(pid)) if pid else 0.0
            return 0.0

        half = len(self.bed.plan.nodes)
        return sum(map(of, pids[:half])), sum(map(of, pids[half:]))

    async def step(self, system: str, callers: int, limit_ms: float) -> StepResult:
        self.take()
        pids = self.pids()
        started, before = time.monotonic(), self.cpu(pids)
        code = await asyncio.to_thread(self.sipp, system, callers)
        await asyncio.sleep(0.5)  # the last AMI events of the step
        wall, after = time.monotonic() - started, self.cpu(pids)
        result = score(system, callers, self.take(), self.walk, limit_ms)
        result.asterisk_cpu = (after[0] - before[0]) / wall
        result.engine_cpu = (after[1] - before[1]) / wall
        if code != 0:
            result.failures.insert(0, f"SIPp exit {code}")
            result.passed = False
        return result


def _print_step(step: StepResult) -> None:
    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    print(
        f"{step.system:<6}{step.callers:>8}{step.calls_ok:>9}{step.keys:>7}{fmt(step.p50_ms):>9}"
        f"{fmt(step.p99_ms):>9}{step.asterisk_cpu:>10.2f}{step.engine_cpu:>9.2f}  "
        + ("ok" if step.passed else "FAIL"),
        flush=True,
    )
    for failure in step.failures[:3]:
        print(f"{'':<6}  {failure}")


async def _measure(options: argparse.Namespace, bed: ClusterBed, work: Path) -> list[StepResult]:
    settings = bed.settings
    library = PromptLibrary(settings)
    walk = plan_walk(load_menu(settings.ivr.menu_file), settings, library, options.key_gap)
    box = bed.sandbox(bed.plan.nodes[0])
    pcap = rtp_dtmf.write_pcap(work / "walk.pcap", walk.keys, walk.total_ms)
    scenario = work / SCENARIO.name
    scenario.write_text(SCENARIO.read_text().replace("@PCAP@", box.stage_file(pcap)))
    driver = Driver(bed, walk, box.stage_file(scenario))
    print(f"cluster: keys {' '.join(PATH)}, calls of {walk.total_ms / 1000:.1f} s; steps "
          f"{options.steps}; limit p99 <= {options.limit_ms:g} ms per key")  # fmt: skip
    print(f"{'system':<6}{'callers':>8}{'calls ok':>9}{'keys':>7}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'Asterisk':>10}{'workers':>9}  (CPU, cores)")  # fmt: skip
    results: list[StepResult] = []
    async with contextlib.AsyncExitStack() as stack:
        tasks = []
        for node in bed.plan.nodes:
            ami = AmiClient(node.settings.ami, resolve_ami_secret(node.settings))
            await stack.enter_async_context(ami)
            recorder = Recorder(ami.subscribe(EVENTS, maxsize=500_000))
            driver.recorders[node.spec.name] = recorder
            tasks.append(asyncio.create_task(recorder.run()))
        try:
            # Warm-up: caches, and the caller known to both workers (short prompts).
            for system in SYSTEMS:
                warm = await driver.step(system, 2, float("inf"))
                if not warm.passed:
                    raise RuntimeError(f"warm-up call to {system} failed: {warm.failures[:3]}")
            results = await capacity.search(
                SYSTEMS,
                [int(s) for s in options.steps.split(",")],
                lambda system, callers: driver.step(system, callers, options.limit_ms),
                refine=options.refine,
                max_callers=options.max_callers,
                shown=_print_step,
            )
        finally:
            for task in tasks:
                task.cancel()
    return results


def bench_settings(url: str) -> Settings:
    if url.startswith("sqlite"):
        raise SystemExit("bench cluster: the bed's two workers need PostgreSQL (--store)")
    hours = {day: "00:00-24:00" for day in (*WEEK, "holiday_hours")}
    return load_settings(overrides={"store": {"url": url}, "hours": hours})


def run(options: argparse.Namespace) -> int:
    print(f"machine: {machine_line()}")
    settings = bench_settings(options.store or os.environ.get("PG_TEST_URL", DEFAULT_URL))
    asyncio.run(PromptLibrary(settings).build())
    flags = [a for day in (*WEEK, "holiday_hours") for a in ("--set", f"hours.{day}=00:00-24:00")]
    with tempfile.TemporaryDirectory(prefix="hotline-bench-cluster-") as temp:
        work = Path(temp)
        bed = ClusterBed(settings, lambda line: print(f"cluster: {line}"), work, flags)
        bed.up()
        try:
            results = asyncio.run(_measure(options, bed, work))
        finally:
            bed.down()
    one, one_open = figure(results, "one")
    two, two_open = figure(results, "two")
    ratio = two / one if one else float("inf")
    relation = "?" if one_open and two_open else ("<=" if one_open else (">=" if two_open else ""))
    print(f"callers with every key answered within {options.limit_ms:g} ms p99: one node "
          f"{'>=' if one_open else ''}{one}, two nodes {'>=' if two_open else ''}{two}; "
          f"ratio {relation}{ratio:.2f} (goal >= {GOAL})")  # fmt: skip
    at_one = [r for r in results if r.system == "one" and r.callers == one and r.passed]
    used = at_one[0].asterisk_cpu + at_one[0].engine_cpu if at_one else 0.0
    cores = os.cpu_count() or 1
    bound = cores / used if used else float("inf")
    print(f"bound: {cores} cores shared by both nodes, both workers, Kamailio and SIPp; one "
          f"node's figure used {used:.2f} cores, so the CPU lets two nodes show at most "
          f"~{bound:.2f}x here")  # fmt: skip
    if options.json is not None:
        options.json.write_text(
            json.dumps(
                {
                    "machine": machine_line(),
                    "figures": {
                        "one": {"callers": one, "lower_bound": one_open},
                        "two": {"callers": two, "lower_bound": two_open},
                    },
                    "ratio": ratio,
                    "cpu_bound_ratio": bound,
                    "goal": GOAL,
                    "steps": [asdict(r) for r in results],
                },
                indent=1,
            )
        )
    return 1 if options.check and ratio < GOAL else 0
