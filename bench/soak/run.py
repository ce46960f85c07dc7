"""``python -m bench soak --minutes N [--seed S]`` (and ``make soak``): the chaos soak of
issue 21.  Its own sandbox instance, a private PostgreSQL and a tmpfs for the recordings;
a steady load (simulated callers submitting readings and reaching simulated operators, real
SIP callers, a campaign on the simulated carrier, the console's live wallboard) while the
injector breaks one part after another at seeded moments; then the fault table and the
auditor's verdicts.  Exit 1 if a fault did not recover or an invariant was violated."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import random
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from bench.soak import audit, facts, load
from bench.soak.faults import (
    ALL_KINDS,
    FaultKind,
    FaultRecord,
    describe_plan,
    fault_table,
    plan_faults,
)
from bench.soak.inject import Database as DbControls
from bench.soak.inject import Injector, psycopg_lock
from bench.soak.interrupt import RECOVER_SECONDS, Interrupt, bounded, run_until_interrupted
from bench.soak.world import (
    FILLER,
    Child,
    hotline_child,
    recordings_tmpfs,
    recordings_tmpfs_mb,
    soak_overrides,
    soak_settings,
)
from hotline.access.users import Role, Users
from hotline.app import resolve_ami_secret
from hotline.contact_center import operators as ops
from hotline.dialplan.names import (
    CONTEXT_INBOUND,
    CONTEXT_SIMULATED_CALLER,
    CONTEXT_SIMULATED_CARRIER,
)
from hotline.sandbox import Sandbox
from hotline.sandbox.sandbox import CDR_CSV, CEL_CSV
from hotline.settings import Settings, load_settings
from hotline.speech.library import PromptLibrary
from hotline.store.accounts import AccountRecord, AccountStore, MeterRecord
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.operators import Operators
from hotline.transport.ami import AmiClient, AmiError

ENGINE_NUMBER: Final = "88005553535"
SIP_PHONE: Final = "79990001122"
CONSOLE_USER: Final = "soak.supervisor"
CONSOLE_PASSWORD: Final = "soak soak soak soak"
FIRST_VALUE: Final = 12345
SETTLE_SECONDS: Final = 8.0
OPERATORS: Final = ("soak.op1", "soak.op2")
MAX_LAG_SECONDS: Final = 1.0
CAMPAIGN_RATE: Final = 0.3  # contacts a second over the run
MAX_ATTEMPTS: Final = 1
DIALER: Final = {
    "tick_seconds": 0.2,
    "calls_per_second": 2.0,
    "ring_seconds": 5.0,
    "same_number_gap_seconds": 3600.0,
}
# Where a call comes in (the tracker's entry contexts: a carrier's, the simulator's).
INBOUND_CONTEXTS: Final = frozenset({CONTEXT_INBOUND, CONTEXT_SIMULATED_CALLER})
SIPP_SCENARIO: Final = (
    Path(__file__).resolve().parents[2] / "tests" / "e2e" / "sipp" / "caller_hangs_up.xml"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--minutes", type=float, default=2.0, help="length of the load")
    parser.add_argument("--seed", type=int, default=None, help="the fault plan's seed")
    parser.add_argument(
        "--faults", type=int, default=None, help="faults in all (default: 3 a minute, >= 11)"
    )
    parser.add_argument("--callers", type=int, default=3, help="simulated callers at once")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="work in this folder and keep it (logs, events.jsonl); default: a temporary one",
    )


@dataclass
class SoakResult:
    seed: int
    seconds: float
    faults: list[FaultRecord]
    verdicts: list[audit.Verdict]
    load: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False  # Ctrl-C ended the load early: a partial run

    @property
    def passed(self) -> bool:
        recovered = all(f.recovered is not None for f in self.faults)
        return not self.interrupted and recovered and all(v.held for v in self.verdicts)

    def report(self) -> str:
        lines = [
            f"soak: seed {self.seed}, {self.seconds:.0f} s of load, {len(self.faults)} faults",
            fault_table(self.faults),
            "load: " + ", ".join(f"{k} {v}" for k, v in self.load.items()),
            "invariants:",
            audit.verdict_table(self.verdicts),
            "soak: "
            + (
                f"INTERRUPTED (a partial report: {self.seconds:.0f} s of load)"
                if self.interrupted
                else ("PASSED" if self.passed else "FAILED")
            ),
        ]
        return "\n".join(lines)


def _accounts(count: int) -> list[AccountRecord]:
    today = dt.date.today()
    month_ago = today - dt.timedelta(days=30)
    return [
        AccountRecord(
            f"2000000000{i:02d}",
            "Иванов Иван Иванович",
            "г. Красноярск, ул. Ленина, д. 1",
            "Asia/Krasnoyarsk",
            Decimal("100.00"),
            today + dt.timedelta(days=20),
            None,
            None,
            100_000,  # a large average: no value the soak types looks implausible
            (f"7913555{i:04d}",),
            (MeterRecord(f"5500{i:04d}", 1, 6, (FIRST_VALUE,), month_ago),),
        )
        for i in range(count)
    ]


async def _seed(settings: Settings, callers: int, phones: list[str], work: Path) -> None:
    from dialer.model import CampaignRules
    from dialer.repository import DialerStore
    from tests.dialer_support import running_campaign

    async with Database.from_settings(settings) as db:
        await db.upgrade()
        await AccountStore(db).upsert(_accounts(callers))
        await Users(db, settings.web).add(
            CONSOLE_USER, Role.SUPERVISOR, CONSOLE_PASSWORD, Actor("soak", "cli")
        )
        for name in OPERATORS:
            await Operators(db).add(name, ops.simulated_interface(name, 1, 3), simulated=True)
        always = "00:00-24:00"
        rules = CampaignRules(
            max_attempts=MAX_ATTEMPTS,
            max_channels=4,
            weekday_hours=always,
            saturday_hours=always,
            sunday_hours=always,
            holiday_hours=always,
        )
        await running_campaign(DialerStore(db), work, phones, name="soak", rules=rules)


def _campaign_phones(seconds: float) -> list[str]:
    # Short calls on the simulated carrier: presses 1, hangs up, busy, congestion.
    return [f"+7913{i:06d}{'2346'[i % 4]}" for i in range(max(4, int(seconds * CAMPAIGN_RATE)))]


async def _login_operators(settings: Settings) -> None:
    async with Database.from_settings(settings) as db:
        ami = AmiClient(settings.ami, resolve_ami_secret(settings))
        async with ami:
            for name in OPERATORS:
                await ops.login(ami, Operators(db), settings, name)


async def _soak(
    options: argparse.Namespace,
    settings: Settings,
    sandbox: Sandbox,
    engine: Child,
    console: Child,
    controls: DbControls,
    work: Path,
    seed: int,
) -> SoakResult:
    seconds = options.minutes * 60
    count = options.faults or max(len(ALL_KINDS) + 2, int(options.minutes * 3))
    plan = plan_faults(seed, seconds, count)
    print(describe_plan(seed, plan), flush=True)
    engine.start()
    console.start()
    injector = Injector(sandbox, engine, console, controls, work / "rec", _say)
    await injector.engine_serving()
    await console.wait_listening()
    await _login_operators(settings)
    ami = AmiClient(settings.ami, resolve_ami_secret(settings))
    callers = [
        load.Caller(phone, account.number)
        for account in _accounts(options.callers)
        for phone in account.phones
    ]
    stats = [load.CallerStats() for _ in callers]
    sipp, console_stats, samples = load.SippStats(), load.ConsoleStats(), load.MetricsSamples()
    scenario = await asyncio.to_thread(sandbox.stage_file, SIPP_SCENARIO)
    base = f"http://127.0.0.1:{settings.web.port}"
    interrupt = Interrupt(_say)
    interrupt.install()
    async with ami:
        recorder = load.Recorder(ami)
        recording = asyncio.create_task(recorder.run())
        origin = time.monotonic()
        until = origin + seconds

        async def the_load() -> None:
            async with asyncio.TaskGroup() as tasks:
                for caller, stat in zip(callers, stats, strict=True):
                    tasks.create_task(
                        load.reading_caller(ami, settings, caller, FIRST_VALUE, until, stat)
                    )
                tasks.create_task(
                    load.sip_callers(sandbox, scenario, ENGINE_NUMBER, SIP_PHONE, until, sipp)
                )
                tasks.create_task(
                    load.console_poller(base, CONSOLE_USER, CONSOLE_PASSWORD, until, console_stats)
                )
                tasks.create_task(load.sample_metrics(settings.metrics.port, until, samples))
                tasks.create_task(injector.run(plan, origin))

        await run_until_interrupted(the_load(), interrupt)
        seconds = (interrupt.at or time.monotonic()) - origin
        # A fault may have been cut short (Ctrl-C), or may not have recovered: the world back,
        # within a bound (a soak that cannot bring it back audits what there is and fails).
        await bounded(_restore(sandbox, engine, injector), RECOVER_SECONDS, _say)
        await asyncio.sleep(SETTLE_SECONDS)  # the last calls end, the tracker closes them
        try:
            live = {c.get("uniqueid") for c in await ami.core_show_channels()}
        except (AmiError, TimeoutError):
            if not interrupt.requested:
                raise
            live = set()
        recording.cancel()
    await asyncio.to_thread(_write_events, work / "events.jsonl", recorder.seen)
    started = time.time() - (time.monotonic() - origin)
    _say(f"load started at {time.strftime('%H:%M:%S', time.localtime(started))}")
    records = await asyncio.to_thread(_call_records, sandbox, work)
    verdicts = await _audit(settings, recorder, stats, injector, samples, live)
    verdicts += await _audit_records(settings, records, injector, console_stats, work / "rec")
    load_figures = {
        "reading calls": sum(s.calls for s in stats),
        "heard accepted": sum(len(s.heard) for s in stats),
        "reached the queue": sum(s.operator_reached for s in stats),
        "caller errors": dict(sum((s.errors for s in stats), start=Counter[str]())),
        "SIP calls ok": sipp.ok,
        "SIP calls failed": sipp.failed,
        "console polls ok": console_stats.ok,
        "console polls failed": dict(console_stats.failed),
        "AMI events recorded": len(recorder.seen),
        "recorder dropped": recorder.sub.dropped,
        "worst loop lag (wall)": max(samples.lag, default=0.0),
        f"loop lag samples over {MAX_LAG_SECONDS:g} s (wall)": sum(
            1 for lag in samples.lag if lag > MAX_LAG_SECONDS
        ),
    }
    return SoakResult(seed, seconds, injector.records, verdicts, load_figures, interrupt.requested)


async def _restore(sandbox: Sandbox, engine: Child, injector: Injector) -> None:
    """After an interruption: Asterisk and the engine running and serving again."""
    if await asyncio.to_thread(sandbox.control.pid) is None:
        await asyncio.to_thread(sandbox.up)
    if engine.proc is None or engine.proc.poll() is not None:
        engine.start()
    await injector.engine_serving()


async def _audit(
    settings: Settings,
    recorder: load.Recorder,
    stats: list[load.CallerStats],
    injector: Injector,
    samples: load.MetricsSamples,
    live: set[str],
) -> list[audit.Verdict]:
    heard = [h for s in stats for h in s.heard]
    excused = [audit.Window(start - 1.0, end + 1.0) for start, end in injector.asterisk_down]
    async with Database.from_settings(settings) as db:
        stored = await facts.stored_readings(db)
        rows = await facts.call_rows(db)
        attempts = await facts.attempts_by_phone(db)
    dials = facts.dials(recorder.seen, CONTEXT_SIMULATED_CARRIER)
    verdicts = [
        audit.readings_stored_once(heard, stored),
        audit.no_dead_air(facts.call_timings(recorder.seen), excused=excused),
        audit.dialled_within_attempts(dials, attempts, MAX_ATTEMPTS),
        audit.no_open_calls(rows, live),
        # The engine's own lag: the loop's lag less the time its thread waited for a CPU
        # (other processes on a shared machine); the callers' lag is in the load figures.
        audit.within_bound("event-loop lag (own)", samples.own_lag, MAX_LAG_SECONDS, "s"),
        audit.within_bound("AMI events dropped", samples.dropped, 0, "events"),
    ]
    if recorder.sub.dropped:
        verdicts[1].note = f"the recorder itself dropped {recorder.sub.dropped} events"
    return verdicts


@dataclass(frozen=True)
class CallRecords:
    cdrs: list[audit.Cdr]
    cels: list[audit.Cel]


def _call_records(sandbox: Sandbox, work: Path) -> CallRecords:
    """Asterisk's CDR and CEL CSVs, read and removed from its log folder (they hold phone
    numbers: the suite's log audit must not find them there); kept in ``work``."""
    texts = []
    for name in (CDR_CSV, CEL_CSV):
        path = sandbox.layout.in_root(name)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            text = ""
        (work / Path(name).parent.name).with_suffix(".csv").write_text(text, encoding="utf-8")
        path.unlink(missing_ok=True)
        texts.append(text)
    return CallRecords(facts.parse_cdrs(texts[0]), facts.parse_cels(texts[1]))


ENGINE_AWAY: Final = frozenset({FaultKind.ENGINE_KILL, FaultKind.ENGINE_STOP})
CONSOLE_FAULTS: Final = frozenset(
    {FaultKind.CONSOLE_RESTART, FaultKind.DB_DOWN, FaultKind.DB_LOCK}
)


def _windows(
    injector: Injector, kinds: frozenset[FaultKind], after: float = 0.0
) -> list[audit.Window]:
    spans = injector.spans
    return [audit.Window(start, end + after) for kind, start, end in spans if kind in kinds]


async def _audit_records(
    settings: Settings,
    records: CallRecords,
    injector: Injector,
    console: load.ConsoleStats,
    recordings: Path,
) -> list[audit.Verdict]:
    async with Database.from_settings(settings) as db:
        rows = {row.uniqueid for row in await facts.call_rows(db)}
        attempts = await facts.attempts(db)
        index = await facts.index_rows(db)
        audit_ids = await facts.audit_ids(db)
    files = await asyncio.to_thread(facts.recording_files, recordings, frozenset({FILLER}))
    inbound = audit.started_in(records.cels, INBOUND_CONTEXTS)
    # No engine saw calls from its going away to its serving again and its first round of
    # reconciliation (resilience.call_log_reconcile_seconds) after that.
    allowance = settings.resilience.call_log_reconcile_seconds + 1.0
    away = _windows(injector, ENGINE_AWAY, allowance) + [
        audit.Window(start, end + allowance) for start, end in injector.asterisk_down
    ]
    disk_full = _windows(injector, frozenset({FaultKind.DISK_FULL}))
    console_faults = _windows(injector, CONSOLE_FAULTS, audit.CONSOLE_RECOVERY)
    return [
        audit.inbound_cdrs_have_call_rows(records.cdrs, inbound, rows, away),
        audit.campaign_cdrs_match_attempts(records.cdrs, attempts, CONTEXT_SIMULATED_CARRIER),
        audit.recordings_indexed(files, index, disk_full),
        audit.audit_log_contiguous(audit_ids),
        audit.console_errors_explained(console.responses, console_faults),
    ]


def _write_events(path: Path, seen: list[load.Seen]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for event in seen:
            out.write(json.dumps(asdict(event), ensure_ascii=False) + "\n")


def _say(line: str) -> None:
    print(f"soak: {line}", flush=True)


def run(options: argparse.Namespace) -> int:
    result = soak(options)
    if options.json is not None:
        options.json.write_text(json.dumps(asdict(result), indent=1, default=str))
    return 0 if result.passed else 1


def soak(options: argparse.Namespace) -> SoakResult:
    """The whole soak: set up, load and faults, audit; prints the plan, the fault table and
    the verdicts (with the engine's and console's log tails when it failed)."""
    from tests.chaos_pg import private_postgres

    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(10**6)
    _say(f"seed {seed} (repeat with --seed {seed})")
    with contextlib.ExitStack() as stack:  # undone in reverse: processes, sandbox, tmpfs, db
        if options.keep is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hotline-soak-")))
        else:
            work = options.keep.resolve()
            work.mkdir(parents=True, exist_ok=True)
        pg = stack.enter_context(private_postgres())
        overrides = soak_overrides(load_settings(), pg.url, work)
        overrides["dialer"] = dict(DIALER)
        settings = soak_settings(overrides)
        controls = DbControls(pg.stop, pg.start, psycopg_lock(_libpq(pg.url)))
        tmpfs_mb = recordings_tmpfs_mb(options.minutes)
        stack.enter_context(recordings_tmpfs(work / "rec", tmpfs_mb))
        asyncio.run(PromptLibrary(settings).build())
        sandbox = Sandbox(settings, progress=_say, call_records_csv=True)
        stack.callback(sandbox.down)
        sandbox.up()
        engine = hotline_child(
            "engine", overrides, "run", work / "engine.log", settings.fastagi.port
        )
        console = hotline_child(
            "console", overrides, "web", work / "console.log", settings.web.port
        )
        stack.callback(console.stop)
        stack.callback(engine.stop)
        phones = _campaign_phones(options.minutes * 60)
        asyncio.run(_seed(settings, options.callers, phones, work))
        result = asyncio.run(
            _soak(options, settings, sandbox, engine, console, controls, work, seed)
        )
        print(result.report(), flush=True)
        (work / "violations.txt").write_text(  # every one (the table shows ten of each)
            "".join(f"{v.name}: {line}\n" for v in result.verdicts for line in v.violations),
            encoding="utf-8",
        )
        if not result.passed:
            for name in ("engine.log", "console.log"):
                tail = (work / name).read_text(errors="replace").splitlines()[-30:]
                print(f"--- {name} (tail) ---", *tail, sep="\n")
    return result


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)
