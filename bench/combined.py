"""Combined load (issue 19 item 6): is the engine's event loop free while everything happens
at once?  One engine (``hotline run`` as its own process) on the sandbox with

* SIP callers: SIPp batches of ``--callers`` walking the menu by keypad (the SIP menu
  benchmark's walk, bench/sip_menu.py), one batch after another;
* a campaign at ``--cps`` calls a second on the simulated carrier (answered and pressing 1,
  answered and hanging up, busy, congestion: bench/soak's mix);
* the console's live pages: ``--viewers`` supervisors polling the wallboard page and reading
  its SSE stream (bench/soak/load.py's poller, against ``hotline web``);

for ``--seconds``; then a burst: ``--burst`` SIP calls answered within a second and hung up
together.  Reported from the engine's own /metrics, as deltas over each phase: the loop lag
p50/p99 (wall: what every task saw; own: less the time the loop's thread waited for a CPU,
which on a shared machine is other processes'), AMI events received and dropped, and the
campaign's achieved calls per second.  Each ``--loops`` kind runs in turn on a fresh
database.  ``--check``: exit 1 if any phase's own-lag p99 is over ``--limit-ms`` or any AMI
event was dropped.  The lag probe runs every LAG_PROBE_SECONDS here (the engine's default
of 0.5 s gives too few samples for a p99 over a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from bench.common import machine_line, py_spy, stop_py_spy
from bench.dialer import OPEN, _campaign, _reset_postgres
from bench.sip_menu_sipp import stage
from bench.sip_menu_walk import ENGINE_NUMBER, WEEK, plan_walk
from bench.soak import load
from bench.soak.inject import scrape
from bench.soak.world import Child, hotline_child
from dialer.repository import DialerStore
from hotline.access.users import Role, Users
from hotline.sandbox import Sandbox
from hotline.settings import Settings, load_settings
from hotline.speech.library import PromptLibrary
from hotline.store.audit import Actor
from hotline.store.db import Database
from ivr.menu.loader import load_menu

LAG_PROBE_SECONDS: Final = 0.05
LIMIT_MS: Final = 10.0  # issue 19 item 6: loop lag p99 under 10 ms
VIEWER: Final = "bench.supervisor"
VIEWER_PASSWORD: Final = "bench bench bench bench"
BURST_HOLD_MS: Final = 4000
BURST_SCENARIO: Final = Path(__file__).resolve().parents[1] / "tests/e2e/sipp/caller_hangs_up.xml"
BURST_PHONE: Final = "79990003344"
START_TIMEOUT: Final = 90.0
WALL: Final = "hotline_event_loop_lag_seconds"
OWN: Final = "hotline_event_loop_own_lag_seconds"
COUNTERS: Final = (
    "hotline_ami_events_received_total",
    "hotline_ami_events_dropped_total",
    "hotline_dialer_originates_total",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=60.0, help="the steady phase's length")
    parser.add_argument("--callers", type=int, default=8, help="SIP callers per menu batch")
    parser.add_argument("--cps", type=float, default=20.0, help="the campaign's calls a second")
    parser.add_argument("--viewers", type=int, default=3, help="console wallboard viewers")
    parser.add_argument("--burst", type=int, default=40, help="SIP calls hung up together")
    parser.add_argument("--loops", default="asyncio,uvloop", help="the engine's loops, in turn")
    parser.add_argument("--limit-ms", type=float, default=LIMIT_MS, help="own-lag p99 limit")
    parser.add_argument("--check", action="store_true", help="exit 1 over the limit or on drops")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy record the engine (speedscope) here"
    )
    parser.add_argument(
        "--store-url",
        default=None,
        help="the engine's database (emptied first; default: a fresh SQLite file), "
        "e.g. $PG_TEST_URL for PostgreSQL",
    )
    parser.add_argument(
        "--keep", type=Path, default=None, help="work in this folder and keep it (logs, db)"
    )


# --- the engine's figures -----------------------------------------------------------------------
Buckets = list[tuple[float, float]]  # (upper bound, cumulative count), +Inf last


def buckets(metrics: str, name: str) -> Buckets:
    return load.lag_buckets(metrics, name)


def counter(metrics: str, name: str) -> float:
    found = re.search(rf"^{name} ([0-9.e+]+)$", metrics, re.M)
    return float(found.group(1)) if found else 0.0


def quantile(before: Buckets, after: Buckets, q: float) -> float | None:
    """The ``q`` quantile of the observations made between two scrapes of one histogram,
    interpolated within its bucket as Prometheus' histogram_quantile does (None: none made;
    the last finite bound when it lies in +Inf)."""
    earlier = dict(before)
    delta = [(bound, count - earlier.get(bound, 0.0)) for bound, count in after]
    if not delta or delta[-1][1] <= 0:
        return None
    rank = q * delta[-1][1]
    lower, below = 0.0, 0.0
    for bound, cumulative in delta:
        if cumulative >= rank:
            if bound == float("inf"):
                return lower
            inside = cumulative - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, cumulative
    return lower


@dataclass
class Phase:
    name: str
    seconds: float
    samples: int = 0
    wall_p50_ms: float | None = None
    wall_p99_ms: float | None = None
    own_p50_ms: float | None = None
    own_p99_ms: float | None = None
    ami_received: int = 0
    ami_dropped: int = 0
    achieved_cps: float = 0.0
    sip_ok: int = 0
    sip_failed: int = 0
    console_ok: int = 0
    console_failed: int = 0
    load_average: str = ""

    def within(self, limit_ms: float) -> bool:
        own = self.own_p99_ms if self.own_p99_ms is not None else float("inf")
        return own <= limit_ms and self.ami_dropped == 0


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def phase(name: str, seconds: float, before: str, after: str) -> Phase:
    counts = [counter(after, c) - counter(before, c) for c in COUNTERS]
    wall_b, wall_a = buckets(before, WALL), buckets(after, WALL)
    own_b, own_a = buckets(before, OWN), buckets(after, OWN)
    return Phase(
        name,
        round(seconds, 1),
        samples=int(wall_a[-1][1] - dict(wall_b).get(float("inf"), 0.0)) if wall_a else 0,
        wall_p50_ms=_ms(quantile(wall_b, wall_a, 0.5)),
        wall_p99_ms=_ms(quantile(wall_b, wall_a, 0.99)),
        own_p50_ms=_ms(quantile(own_b, own_a, 0.5)),
        own_p99_ms=_ms(quantile(own_b, own_a, 0.99)),
        ami_received=int(counts[0]),
        ami_dropped=int(counts[1]),
        achieved_cps=round(counts[2] / seconds, 2) if seconds > 0 else 0.0,
        load_average=_load_average(),
    )


def _load_average() -> str:
    with open("/proc/loadavg", encoding="ascii") as handle:
        return " ".join(handle.read().split()[:3])


# --- the world ----------------------------------------------------------------------------------
def overrides(work: Path, loop: str, cps: float, url: str | None) -> dict[str, dict[str, Any]]:
    return {
        "store": {"url": url or f"sqlite+aiosqlite:///{work / 'hotline.db'}"},
        "hours": {day: "00:00-24:00" for day in (*WEEK, "holiday_hours")},
        "dialer": {
            "calls_per_second": cps,
            "trunk_channels": 400,
            "same_number_gap_seconds": 0.0,
            "ring_seconds": 10.0,
        },
        "web": {"include_simulated": True, "wallboard_min_interval": 0.5},
        "metrics": {"loop_lag_interval": LAG_PROBE_SECONDS},
        "engine": {"loop": loop},
    }


async def seed(settings: Settings, work: Path, contacts: int) -> None:
    """The console's supervisor and a started campaign of ``contacts`` numbers."""
    async with Database.from_settings(settings) as db:
        await db.upgrade()
        await Users(db, settings.web).add(
            VIEWER, Role.SUPERVISOR, VIEWER_PASSWORD, Actor("bench", "cli")
        )
        path = work / "campaign.csv"
        # The simulated carrier by last digit: 2 presses 1, 3 hangs up, 4 busy, 6 congestion.
        rows = (f"+79135{i:05d}{'2346'[i % 4]},1.00\n" for i in range(contacts))
        path.write_text("phone,amount\n" + "".join(rows), encoding="utf-8")
        await _campaign(DialerStore(db), path, "combined", OPEN)


def burst_argv(sandbox: Sandbox, scenario: str, calls: int) -> list[str]:
    """``calls`` SIP calls within a second, each hung up BURST_HOLD_MS after its answer."""
    sb = sandbox.settings.sandbox
    media_port = 20000 + (sb.sip_port % 1000) * 10 + 6
    return [
        sandbox.sipp_path, f"{sb.sip_host}:{sb.sip_port}", "-sf", scenario,
        "-key", "caller", BURST_PHONE, "-d", str(BURST_HOLD_MS), "-s", ENGINE_NUMBER,
        "-i", "127.0.0.1", "-mp", str(media_port), "-m", str(calls), "-l", str(calls),
        "-r", str(calls), "-timeout", "60", "-timeout_error", "-nostdin",
    ]  # fmt: skip


@dataclass
class Traffic:
    sip_ok: int = 0
    sip_failed: int = 0
    console: load.ConsoleStats = field(default_factory=load.ConsoleStats)


_SIPP_COUNT: Final = re.compile(r"^\s*(Successful|Failed) call\s+\|\s+\d+\s+\|\s+(\d+)", re.M)


def _count(stdout: str) -> tuple[int, int]:
    counts = {kind: int(n) for kind, n in _SIPP_COUNT.findall(stdout)}
    return counts.get("Successful", 0), counts.get("Failed", 0)


async def menu_callers(sipp: Any, callers: int, until: float, traffic: Traffic) -> None:
    """Batches of ``callers`` walking the menu, one after another until ``until``."""
    while time.monotonic() < until:
        done = await asyncio.to_thread(sipp.call, ENGINE_NUMBER, callers)
        ok, failed = _count(done.stdout)
        traffic.sip_ok += ok
        traffic.sip_failed += failed if ok + failed else callers


async def _phases(
    options: argparse.Namespace, settings: Settings, sandbox: Sandbox, engine: Child, work: Path
) -> list[Phase]:
    port = settings.metrics.port
    library = PromptLibrary(settings)
    walk = plan_walk(load_menu(settings.ivr.menu_file), settings, library, 700)
    sipp = await asyncio.to_thread(stage, sandbox, walk, work)
    burst = await asyncio.to_thread(sandbox.stage_file, BURST_SCENARIO)
    base = f"http://127.0.0.1:{settings.web.port}"
    traffic = Traffic()
    await asyncio.to_thread(sipp.call, ENGINE_NUMBER, 1)  # warm-up: the caller known
    profiler = py_spy(engine.pid, options.profile, rate=200)
    before, started = await asyncio.to_thread(scrape, port), time.monotonic()
    until = started + options.seconds
    async with asyncio.TaskGroup() as tasks:
        callers = tasks.create_task(menu_callers(sipp, options.callers, until, traffic))
        for _ in range(options.viewers):
            tasks.create_task(
                load.console_poller(base, VIEWER, VIEWER_PASSWORD, until, traffic.console)
            )
        await asyncio.sleep(options.seconds)
        after = await asyncio.to_thread(scrape, port)
        steady = phase("steady", time.monotonic() - started, before, after)
        await callers  # the last batch ends (its hang-ups are not the burst's)
    steady.sip_ok, steady.sip_failed = traffic.sip_ok, traffic.sip_failed
    steady.console_ok = traffic.console.ok
    steady.console_failed = sum(traffic.console.failed.values())
    before, started = await asyncio.to_thread(scrape, port), time.monotonic()
    done = await asyncio.to_thread(
        sandbox.run_in_chroot, burst_argv(sandbox, burst, options.burst), 90.0
    )
    await asyncio.sleep(1.0)  # the hang-ups' events handled
    after = await asyncio.to_thread(scrape, port)
    burst_phase = phase("burst", time.monotonic() - started, before, after)
    burst_phase.sip_ok, burst_phase.sip_failed = _count(done.stdout)
    stop_py_spy(profiler)
    return [steady, burst_phase]


def one_loop(options: argparse.Namespace, loop: str, temp: Path) -> list[Phase]:
    work = temp / loop
    work.mkdir(exist_ok=True)
    values = overrides(work, loop, options.cps, options.store_url)
    settings = load_settings(overrides=values)
    contacts = int(options.cps * (options.seconds + 120))
    if options.store_url:
        asyncio.run(_reset_postgres(options.store_url))
    asyncio.run(seed(settings, work, contacts))
    # Prompts first: the sandbox binds the built sounds directory into the chroot.
    asyncio.run(PromptLibrary(settings).build())
    sandbox = Sandbox(settings, progress=lambda line: print(f"sandbox: {line}", flush=True))
    # Left as found: a sandbox this run started holds the configured ports, which the test
    # suite's first worker uses too.
    running = sandbox.control.pid() is not None
    sandbox.up()
    engine = hotline_child("engine", values, "run", work / "engine.log", settings.fastagi.port)
    console = hotline_child("console", values, "web", work / "console.log", settings.web.port)
    try:
        engine.start()
        console.start()

        async def measured() -> list[Phase]:
            await engine.wait_listening(START_TIMEOUT)
            await console.wait_listening(START_TIMEOUT)
            return await _phases(options, settings, sandbox, engine, work)

        return asyncio.run(measured())
    except Exception:
        tail = (work / "engine.log").read_text(errors="replace").splitlines()[-30:]
        print("--- engine.log (tail) ---", *tail, sep="\n")
        raise
    finally:
        console.stop()
        engine.stop()
        if not running:
            sandbox.down()


def _row(loop: str, p: Phase) -> str:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    return (
        f"{loop:<8}{p.name:<7}{p.seconds:>6.0f}{p.samples:>8}{ms(p.wall_p50_ms):>8}"
        f"{ms(p.wall_p99_ms):>8}{ms(p.own_p50_ms):>8}{ms(p.own_p99_ms):>8}{p.ami_received:>9}"
        f"{p.ami_dropped:>6}{p.achieved_cps:>7.1f}{p.sip_ok:>6}/{p.sip_failed:<4}"
        f"{p.console_ok:>5}/{p.console_failed:<3} load {p.load_average}"
    )


def run(options: argparse.Namespace) -> int:
    print(f"machine: {machine_line()}")
    print(
        f"combined: {options.seconds:g} s of {options.callers} menu callers a batch, a campaign "
        f"at {options.cps:g} cps, {options.viewers} wallboard viewers; then {options.burst} "
        f"hang-ups at once; lag probe every {LAG_PROBE_SECONDS * 1000:g} ms; store "
        f"{(options.store_url or 'sqlite').split(':', 1)[0]}"
    )
    results: dict[str, list[Phase]] = {}
    with tempfile.TemporaryDirectory(prefix="hotline-bench-combined-") as temp:
        work = Path(temp) if options.keep is None else options.keep.resolve()
        work.mkdir(parents=True, exist_ok=True)
        for loop in options.loops.split(","):
            results[loop] = one_loop(options, loop, work)
    print(
        f"{'loop':<8}{'phase':<7}{'s':>6}{'samples':>8}{'wall50':>8}{'wall99':>8}{'own50':>8}"
        f"{'own99':>8}{'AMI rcvd':>9}{'drop':>6}{'cps':>7}{'SIP ok/fail':>11}{'viewers':>9}"
        "  (lag ms)"
    )
    failed = False
    for loop, phases in results.items():
        for p in phases:
            print(_row(loop, p))
            failed |= not p.within(options.limit_ms)
    print(
        f"combined: own-lag p99 over {options.limit_ms:g} ms or AMI events dropped: FAILED"
        if failed
        else f"combined: own-lag p99 within {options.limit_ms:g} ms, no AMI event dropped"
    )
    if options.json is not None:
        payload = {loop: [asdict(p) for p in phases] for loop, phases in results.items()}
        options.json.write_text(json.dumps({"machine": machine_line(), **payload}, indent=1))
    return 1 if options.check and failed else 0
