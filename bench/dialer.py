"""The campaign dialer: import, dispatch overhead, pacing on the simulated carrier, reports.

* import — a CSV of ``--contacts`` rows (default 100,000) checked and normalised
  (``read_contacts``), against a bare ``csv.reader`` pass over the same file; peak Python
  memory (tracemalloc); storing the list and starting the campaign (SQLite);
* dispatch — the dispatcher's time per originated call (window, gap, claim + attempt row,
  Originate to a stub AMI) against one bare INSERT+commit of an attempt row in the same DB;
* pacing — achieved calls per second against the target (1, 5, 20) and the peak of
  concurrent channels against the cap, on the sandbox's simulated carrier (``--no-asterisk``
  skips it);
* progressive — the pacing of progressive campaigns (``bench/dialer_progressive.py``): the
  abandon rate against the 3 % cap for ratios 1 to 3, occupancy, talks per operator-hour;
* report — the campaign report's aggregates over ``--attempts`` attempts (default
  1,000,000) on SQLite and on PostgreSQL (PG_TEST_URL), against ``SELECT count(*)``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import resource
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from bench.common import machine_line
from bench.dialer_progressive import run_progressive
from dialer.contacts import read_contacts
from dialer.model import CampaignKind, CampaignRules, Scenario, Step
from dialer.repository import DialerStore
from hotline.core import phones
from hotline.settings import DialerSettings, HoursSettings, load_settings
from hotline.store.db import Database
from hotline.store.models import CampaignTarget, DialAttempt

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ALWAYS = "00:00-24:00"
OPEN = CampaignRules(
    weekday_hours=ALWAYS,
    saturday_hours=ALWAYS,
    sunday_hours=ALWAYS,
    holiday_hours=ALWAYS,
    max_attempts=1,
    max_channels=1_000_000,
)
SCENARIO = Scenario(
    kind=CampaignKind.DEBT,
    steps=(Step(prompt="campaign.debt.amount"), Step(say="money", var="amount", key=True)),  # type: ignore[arg-type]
    operator_prompt=None,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--dispatch-calls", type=int, default=2_000)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--no-asterisk", action="store_true", help="skip the pacing part")
    parser.add_argument("--no-postgres", action="store_true", help="report on SQLite only")
    parser.add_argument(
        "--no-old-report",
        action="store_true",
        help="skip the report built in memory the old way (the 'before' figure)",
    )
    parser.add_argument("--no-import", action="store_true", help="skip import and dispatch")
    parser.add_argument(
        "--no-progressive", action="store_true", help="skip the progressive pacing simulation"
    )


def _phone(i: int) -> str:
    return f"+7913{i:07d}"


def _write_csv(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["phone", "amount", "due_date"])
        for i in range(count):
            writer.writerow([_phone(i), f"{1000 + i % 5000}.{i % 100:02d}", "2026-12-10"])


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:10.1f} ms"


async def _campaign(
    store: DialerStore, path: Path, name: str, rules: CampaignRules = OPEN
) -> tuple[int, float, float]:
    version = await store.add_scenario(name, SCENARIO, "bench", NOW)
    await store.create_campaign(name, version.id, rules, "bench", NOW)
    report = await asyncio.to_thread(
        read_contacts, path, SCENARIO.variables(), region="RU", do_not_call=frozenset()
    )
    started = time.perf_counter()
    await store.attach_list(name, name, str(path), report, "bench", NOW)
    stored = time.perf_counter() - started
    await store.approve(name, "manager", NOW)
    started = time.perf_counter()
    campaign = await store.start(name, NOW, default_zone=HoursSettings().timezone)
    return campaign.id, stored, time.perf_counter() - started


class _StubAmi:
    connected = True

    def subscribe(self, *args: Any, **kwargs: Any) -> Any:
        from hotline.transport.ami import Subscription

        return Subscription(None, 10)

    def send_originate(self, channel: str, **kwargs: Any) -> Any:
        return self.originate(channel, **kwargs)

    async def originate(self, channel: str, **kwargs: Any) -> str:
        return str(kwargs["action_id"])


class _StubPrompts:
    async def phrase(self, phrase: Any) -> Any:
        from hotline.speech.library import Sound

        return Sound("/tmp/phrase", 1.0)

    def sound(self, prompt_id: str) -> Any:
        from hotline.speech.library import Sound

        return Sound(f"/tmp/{prompt_id}", 1.0)


async def _import_and_dispatch(options: argparse.Namespace, temp: Path) -> None:
    from dialer.engine import Dialer
    from hotline.store.calllog import CallLog

    path = temp / "contacts.csv"
    _write_csv(path, options.contacts)
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as handle:
        rows = sum(1 for _ in csv.reader(handle))
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    cpu_started = time.process_time()  # the process's CPU: on a loaded machine wall time lies
    report = read_contacts(path, SCENARIO.variables(), region="RU", do_not_call=frozenset())
    parsed = time.perf_counter() - started
    parsed_cpu = time.process_time() - cpu_started
    tracemalloc.start()  # a run of its own: tracing slows every allocation down
    read_contacts(path, SCENARIO.variables(), region="RU", do_not_call=frozenset())
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert report.ok and len(report.contacts) == options.contacts == rows - 1
    # Before issue 19: every number through phonenumbers' general parser.
    fast = phones._fast_russian
    phones._fast_russian = lambda _text, _region: None  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        before = read_contacts(path, SCENARIO.variables(), region="RU", do_not_call=frozenset())
        slow = time.perf_counter() - started
    finally:
        phones._fast_russian = fast
    assert before.contacts == report.contacts
    print(f"import of {options.contacts:,} contacts")
    print(f"  baseline csv.reader pass   {_ms(baseline)}")
    print(f"  read_contacts (check+E164) {_ms(parsed)}  x{parsed / baseline:.1f}  (goal < 3 s)")
    print(f"  before: phonenumbers only  {_ms(slow)}  x{slow / baseline:.1f}")
    print(f"  read_contacts, CPU         {_ms(parsed_cpu)}  (process time; load {_load()})")
    print(f"  per contact                {parsed / options.contacts * 1e6:10.1f} µs")
    print(f"  peak Python memory         {peak / 2**20:10.1f} MiB")
    db = Database(f"sqlite+aiosqlite:///{temp / 'bench.db'}")
    await db.upgrade()
    store = DialerStore(db)
    # One dispatcher pass dials up to the campaign's channel cap: --dispatch-calls of them.
    rules = OPEN.model_copy(update={"max_channels": options.dispatch_calls})
    campaign_id, stored, copied = await _campaign(store, path, "import", rules)
    print(f"  store the list (SQLite)    {_ms(stored)}")
    print(f"  start: copy to targets     {_ms(copied)}")

    settings = DialerSettings(
        calls_per_second=1e9, trunk_channels=10**9, same_number_gap_seconds=0
    )
    dialer = Dialer(settings, store, _StubAmi(), _StubPrompts(), CallLog(db))  # type: ignore[arg-type]
    dialer.clock = lambda: NOW
    started = time.perf_counter()
    calls = await dialer.dispatch_once()
    dispatch = (time.perf_counter() - started) / calls
    # The same pass with smaller batches, each on a fresh campaign of the same list: batches
    # of 21 (what pacing lets out per 1 s tick at 20 calls per second) and of 1 (before
    # issue 19 item 4: one attempt begun per transaction).
    import dialer.dispatcher as dispatcher_module

    batched: dict[int, float] = {}
    for batch in (21, 1):
        await _campaign(store, path, f"batch{batch}", rules)
        dispatcher_module.DIAL_BATCH = batch  # type: ignore[misc]
        try:
            started = time.perf_counter()
            dialled = await dialer.dispatch_once()
            batched[batch] = (time.perf_counter() - started) / dialled
        finally:
            dispatcher_module.DIAL_BATCH = 100  # type: ignore[misc]
    raw: list[float] = []
    async with db.engine.connect() as conn:
        target_id = (await conn.execute(text("SELECT min(id) FROM campaign_targets"))).scalar()
    for _ in range(200):
        started = time.perf_counter()
        async with db.session() as session:
            await session.execute(
                insert(DialAttempt).values(
                    id=uuid.uuid4().hex,
                    campaign_id=campaign_id,
                    target_id=target_id,
                    number=1,
                    phone="+79130000000",
                    status="ended",
                    created_at=NOW,
                )
            )
        raw.append(time.perf_counter() - started)
    one_insert = sorted(raw)[len(raw) // 2]
    print(f"dispatch overhead per call over {calls:,} calls of the {options.contacts:,} campaign")
    print(f"  baseline INSERT+commit     {_ms(one_insert)}")
    print(
        f"  dispatch per call          {_ms(dispatch)}  x{dispatch / one_insert:.1f}"
        "  (batches of 100; goal <= x2)"
    )
    print(f"  batches of 21 (20 cps)     {_ms(batched[21])}  x{batched[21] / one_insert:.1f}")
    print(f"  before: one per commit     {_ms(batched[1])}  x{batched[1] / one_insert:.1f}")
    await db.dispose()


async def _pacing(temp: Path) -> None:
    from hotline.app import Engine

    base = load_settings()
    for cps, count in ((1.0, 6), (5.0, 16), (20.0, 60)):
        db_file = temp / f"pace-{cps:g}.db"
        settings = base.model_copy(
            update={
                "store": base.store.model_copy(update={"url": f"sqlite+aiosqlite:///{db_file}"}),
                "dialer": base.dialer.model_copy(
                    update={"tick_seconds": 0.2, "calls_per_second": cps, "trunk_channels": 200}
                ),
            }
        )
        engine = Engine(settings)
        await engine.db.upgrade()
        store = DialerStore(engine.db)
        path = temp / f"pace-{cps:g}.csv"
        # Numbers ending in 6: the carrier answers "congestion" at once.
        with path.open("w", encoding="utf-8") as handle:
            handle.write("phone,amount\n")
            handle.writelines(f"+79131{i:05d}6,1.00\n" for i in range(count))
        campaign_id, _s, _c = await _campaign(store, path, f"pace{cps:g}")
        await engine.start()
        try:
            for _ in range(600):
                if (await store.campaign(f"pace{cps:g}")).state == "finished":
                    break
                await asyncio.sleep(0.2)
            created = sorted(a["created_at"] for a in await store.attempts_detail(campaign_id))
        finally:
            await engine.stop()
        first, last = datetime.fromisoformat(created[0]), datetime.fromisoformat(created[-1])
        achieved = (len(created) - 1) / max((last - first).total_seconds(), 1e-9)
        print(
            f"  target {cps:5.1f} cps: achieved {achieved:6.2f} cps over {len(created)} calls "
            f"(x{achieved / cps:.3f})"
        )
    cap = 4
    db_file = temp / "cap.db"
    settings = base.model_copy(
        update={
            "store": base.store.model_copy(update={"url": f"sqlite+aiosqlite:///{db_file}"}),
            "dialer": base.dialer.model_copy(
                update={"tick_seconds": 0.2, "calls_per_second": 50.0, "trunk_channels": cap}
            ),
        }
    )
    engine = Engine(settings)
    await engine.db.upgrade()
    store = DialerStore(engine.db)
    path = temp / "cap.csv"
    # Numbers ending in 3: answered, hung up after 3 s.
    with path.open("w", encoding="utf-8") as handle:
        handle.write("phone,amount\n")
        handle.writelines(f"+79132{i:05d}3,1.00\n" for i in range(12))
    await _campaign(store, path, "cap")
    await engine.start()
    peak = 0
    try:
        for _ in range(600):
            channels = await engine.ami.core_show_channels() if engine.ami.connected else []
            legs = sum(1 for c in channels if c.get("channel").endswith(";2"))
            peak = max(peak, legs)
            if (await store.campaign("cap")).state == "finished":
                break
            await asyncio.sleep(0.1)
    finally:
        await engine.stop()
    print(f"  peak concurrent channels {peak} against a trunk cap of {cap}")


REPORT_INDEXES = (
    "ix_campaign_targets_report",
    "ix_dial_attempts_report",
    "ix_dial_attempts_campaign_created",
    "ix_dial_attempts_minute",
)


def _max_rss() -> int:
    """This process's peak resident memory so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


async def _count(db: Database) -> None:
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT count(*) FROM dial_attempts"))


async def _timed(work: Any, *args: Any) -> float:
    started = time.perf_counter()
    await work(*args)
    return time.perf_counter() - started


async def _report(url: str, label: str, attempts: int, skip_old: bool) -> None:
    from dialer.report import campaign_report, report_csv, report_rows, report_sheets
    from hotline.core.spreadsheets import to_csv

    db = Database(url)
    await db.upgrade()
    store = DialerStore(db)
    version = await store.add_scenario("r", SCENARIO, "bench", NOW)
    campaign = await store.create_campaign("r", version.id, OPEN, "bench", NOW)
    targets = attempts // 3
    reasons = ["delivered", "busy", "no_answer", "hung_up_early", "failed", "invalid_number"]
    chunk = 20_000
    started = time.perf_counter()
    async with db.session() as session:
        for first in range(0, targets, chunk):
            await session.execute(
                insert(CampaignTarget),
                [
                    {
                        "campaign_id": campaign.id,
                        "contact_id": None,
                        "row": i,
                        "phone": _phone(i),
                        "timezone": "Europe/Moscow",
                        "variables": {},
                        "state": "done",
                        "result": "positive" if i % 3 == 0 else "negative",
                        "reason": reasons[i % len(reasons)],
                        "attempts": 3,
                        "channel": "phone",
                    }
                    for i in range(first, min(first + chunk, targets))
                ],
            )
    async with db.engine.connect() as conn:
        first_id = (await conn.execute(text("SELECT min(id) FROM campaign_targets"))).scalar_one()
    async with db.session() as session:
        for first in range(0, attempts, chunk):
            await session.execute(
                insert(DialAttempt),
                [
                    {
                        "id": f"{i:032x}",
                        "campaign_id": campaign.id,
                        "target_id": first_id + i % targets,
                        "number": 1 + i // targets,
                        "phone": _phone(i % targets),
                        "status": "ended",
                        "created_at": NOW + timedelta(seconds=i),
                        "result": "negative",
                        "reason": random.choice(reasons),
                    }
                    for i in range(first, min(first + chunk, attempts))
                ],
            )
    filled = time.perf_counter() - started
    baseline = min([await _timed(_count, db) for _ in range(3)])
    print(
        f"report over {attempts:,} attempts, {targets:,} contacts on {label} "
        f"(filled in {filled:.0f} s)"
    )
    print(f"  baseline count(*)           {_ms(baseline)}")
    summary = min([await _timed(campaign_report, store, "r") for _ in range(3)])
    print(f"  report counts (SQL)         {_ms(summary)}  x{summary / baseline:.1f}")
    report = await campaign_report(store, "r")
    chart = min([await _timed(store.attempt_minutes, report.campaign_id) for _ in range(3)])
    print(f"  hourly chart (SQL)          {_ms(chart)}  x{chart / baseline:.1f}")
    rss = _max_rss()
    started = time.perf_counter()
    size = 0
    async for part in report_csv(store, report):
        size += len(part)
    streamed = time.perf_counter() - started
    print(
        f"  full CSV export, streamed   {_ms(streamed)}  x{streamed / baseline:.1f} "
        f"({size / 2**20:.0f} MiB; peak RSS grew {(_max_rss() - rss) / 2**20:.1f} MiB)"
    )
    # Before issue 19: the same counts without the report indexes of migration 0011.
    async with db.engine.begin() as conn:
        for index in REPORT_INDEXES:
            await conn.execute(text(f"DROP INDEX IF EXISTS {index}"))
    before = min([await _timed(campaign_report, store, "r") for _ in range(3)])
    print(f"  before: counts w/o indexes  {_ms(before)}  x{before / baseline:.1f}")
    if not skip_old:
        rss = _max_rss()
        started = time.perf_counter()
        sheets = await report_rows(store, "r")
        whole = to_csv(report_sheets(sheets))
        old = time.perf_counter() - started
        print(
            f"  before: CSV built in memory {_ms(old)}  x{old / baseline:.1f} "
            f"({len(whole) / 2**20:.0f} MiB; peak RSS grew {(_max_rss() - rss) / 2**20:.1f} MiB)"
        )
    await db.dispose()


def run(options: argparse.Namespace) -> int:
    print(f"machine: {machine_line()}")
    with tempfile.TemporaryDirectory(prefix="hotline-bench-dialer-") as name:
        temp = Path(name)
        if not options.no_import:
            asyncio.run(_import_and_dispatch(options, temp))
        if not options.no_progressive:
            run_progressive()
        if not options.no_asterisk:
            from hotline.sandbox import Sandbox

            Sandbox(load_settings()).up()
            print("pacing on the simulated carrier")
            asyncio.run(_pacing(temp))
        asyncio.run(
            _report(
                f"sqlite+aiosqlite:///{temp / 'report.db'}",
                "SQLite",
                options.attempts,
                options.no_old_report,
            )
        )
    if not options.no_postgres:
        url = os.environ.get(
            "PG_TEST_URL",
            "postgresql+psycopg://hotline_test:hotline_test@127.0.0.1:5432/hotline_test",
        )
        asyncio.run(_reset_postgres(url))
        asyncio.run(_report(url, "PostgreSQL", options.attempts, options.no_old_report))
        asyncio.run(_reset_postgres(url))
    return 0


async def _reset_postgres(url: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()
