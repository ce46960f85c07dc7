"""`make demo`: the sandbox, the engine and a few scripted calls, printed for a person to read.

Later issues add their scenes here (meter readings, a campaign).  The operator-queue scene
sends a caller to a simulated operator and prints the queue report of the demo's calls.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

import hotline
from hotline.access.users import Role, Users
from hotline.accounts.importer import parse_accounts
from hotline.app import Engine, ami_client
from hotline.calls.simulator import Simulator, Transcript
from hotline.cli.demo_console import console_scene
from hotline.cli.queue_cmd import print_report
from hotline.cli.support import EXIT_FAILED
from hotline.cli.transcript import render_transcript
from hotline.contact_center import operators as ops
from hotline.contact_center.queue_report import build_report
from hotline.core.clock import utc_now
from hotline.core.vocabulary import label
from hotline.sandbox import Sandbox
from hotline.settings import AmiRole, HoursSettings, Settings
from hotline.speech.library import PromptLibrary
from hotline.store.audit import Actor
from hotline.store.enums import CallOutcome, QueueEventKind
from hotline.store.queue_events import QueueEvents


@dataclass(frozen=True)
class Scene:
    title: str
    dtmf: str
    caller_id: str | None
    expected_outcome: str
    engine_running: bool = True
    # The emergency dispatcher answers around the clock: no out-of-hours path.
    around_the_clock: bool = False

    def expected(self, operators_open: bool) -> str:
        """The outcome to expect: out of operator hours, an operator call ends in the IVR
        (the hours and a callback offer), except on the dispatcher's line."""
        closed = not operators_open and not self.around_the_clock
        if self.expected_outcome == CallOutcome.OPERATOR and closed:
            return CallOutcome.COMPLETED
        return self.expected_outcome


# The sample billing file (README: "Accounts and meter readings").
# The checkout the package runs from (make demo runs it editable from the project).
SAMPLE_ACCOUNTS = Path(hotline.__file__).resolve().parent.parent / "samples" / "accounts.csv"

SCENES = (
    Scene(
        "Information, then tariffs (typed ahead), back with *, then the operator",
        "31w*w0",
        "+79131234567",
        "operator",
    ),
    Scene(
        "Reporting a power outage: 4, then 1",
        "41",
        "83942223344",
        "operator",
        around_the_clock=True,
    ),
    Scene(
        "A meter reading: 1, the account found by caller ID confirmed with 1, 12400#, 1",
        "1w1w12400#w1",
        "+79131234567",
        "completed",
    ),
    Scene("A wrong key, then the main menu and 0", "9w#w0", None, "operator"),
    Scene("A caller on a rotary phone presses nothing", "", "89131112233", "operator"),
    Scene(
        "The engine is down: the dialplan fallback still reaches the operator queue",
        "",
        "89990001122",
        "fallback",
        engine_running=False,
    ),
)


def run_demo(settings: Settings) -> int:
    console = Console()
    # The transcripts tell the story; the engine's INFO lines would interleave with them.
    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    console.rule("[bold]hotline demo")
    sandbox = Sandbox(settings)
    console.print("Starting the Asterisk 22 sandbox (built once, then cached)...")
    status = sandbox.up()
    console.print(f"Asterisk is up: {status}")
    try:
        console.print(
            f"Rendering the Russian prompts ({settings.speech.backend}, "
            f"voice {settings.speech.voice}; cached after the first run)..."
        )
        report = asyncio.run(PromptLibrary(settings).build())
        console.print(
            f"Prompts ready in {report.directory}: {len(report.rendered)} rendered, "
            f"{len(report.reused)} reused ({report.seconds:.1f} s)"
        )
        started = utc_now()
        failures = asyncio.run(_play(settings, console))
        failures += asyncio.run(_queue_scene(settings, console, started))
        failures += asyncio.run(_campaign(settings, console))
        asyncio.run(_history(settings, console))
        failures += asyncio.run(console_scene(settings, console))
    finally:
        console.print("Stopping the sandbox...")
        sandbox.down()
    console.rule("[bold green]demo finished" if not failures else "[bold red]demo failed")
    return EXIT_FAILED if failures else 0


async def _play(settings: Settings, console: Console) -> int:
    engine = Engine(settings)
    await engine.start()
    engine_up = True
    failures = 0
    transcripts: list[Transcript] = []
    try:
        await engine.ami.wait_connected(settings.ami.connect_timeout * 3)
        sample = await asyncio.to_thread(
            parse_accounts, SAMPLE_ACCOUNTS, settings.accounts, settings.readings
        )
        await engine.accounts.upsert(sample.accounts)
        console.print(f"Accounts loaded from {SAMPLE_ACCOUNTS.name}: {len(sample.accounts)}")
        hours = await engine.hours.current()
        operators_open = hours.is_open(utc_now())
        if not operators_open:
            # The same calls then end with the hours and a callback offer instead.
            console.print("[yellow]Operators are off duty now: expect the out-of-hours path.[/]")
        async with ami_client(settings, AmiRole.CLI) as ami:
            simulator = Simulator(ami, engine.call_log, settings.simulate)
            for number, scene in enumerate(SCENES, 1):
                if engine_up and not scene.engine_running:
                    console.print("[dim]stopping the engine...[/]")
                    await engine.server.stop()
                    engine_up = False
                console.rule(f"{number}. {scene.title}")
                console.print(f"[dim]keys: {scene.dtmf or '(none)'}[/]")
                transcript = await simulator.run(scene.dtmf, scene.caller_id)
                transcripts.append(transcript)
                render_transcript(transcript, console)
                expected = scene.expected(operators_open)
                if transcript.outcome != expected:
                    failures += 1
                    console.print(f"[red]expected outcome {expected}, got {transcript.outcome}[/]")
        await _print_call_log(engine, transcripts, console)
    finally:
        await engine.stop()
    return failures


async def _print_call_log(engine: Engine, transcripts: list[Transcript], console: Console) -> None:
    console.rule("The call log")
    table = Table("звонок", "кто звонил", "ответ", "путь", "итог", "отбой")
    for transcript in transcripts:
        record = await engine.call_log.get(uniqueid=transcript.uniqueid)
        if record is None:
            table.add_row(transcript.uniqueid, "-", "-", "-", "(нет в журнале)", "-")
            continue
        table.add_row(
            record.uniqueid,
            record.caller or "номер скрыт",
            record.answered_at.strftime("%H:%M:%S") if record.answered_at else "-",
            " > ".join(record.path) or "-",
            label("CallOutcome", record.outcome) or "-",
            record.hangup_cause or "-",
        )
    console.print(table)


# The campaign scene: one number per far-end behaviour of the simulated carrier.
DEMO_CONTACTS = {
    "+79131230001": "positive:delivered",
    "+79131230003": "negative:hung_up_early",
    "+79131230004": "negative:busy",
    "+79131230005": "negative:no_answer",
    "+79131230008": "negative:invalid_number",
}


async def _campaign(settings: Settings, console: Console) -> int:
    """A small debt-reminder campaign on the simulated carrier, and its report."""
    import tempfile
    from pathlib import Path

    from dialer import operations
    from dialer.model import CampaignKind, CampaignRules, SayKind, Scenario, Step
    from dialer.report import report_rows
    from dialer.repository import DialerStore

    console.rule("A debt-reminder campaign on the simulated carrier")
    # The same simulated numbers are dialled on every run: no same-number gap between runs
    # (real campaigns keep the hour).
    fast = settings.dialer.model_copy(
        update={
            "tick_seconds": 0.2,
            "calls_per_second": 5.0,
            "ring_seconds": 6.0,
            "same_number_gap_seconds": 0.0,
        }
    )
    engine = Engine(settings.model_copy(update={"dialer": fast}))
    store = DialerStore(engine.db)
    now = utc_now()
    name = f"demo-{now:%Y%m%d-%H%M%S}"
    scenario = Scenario(
        kind=CampaignKind.DEBT,
        steps=(
            Step(prompt="campaign.intro"),
            Step(prompt="campaign.debt.amount"),
            Step(say=SayKind.MONEY, var="amount", key=True),
        ),
        operator_prompt=None,
    )
    # Open around the clock so the demo works at any hour; real campaigns keep 10:00-20:00
    # on working days.
    always = "00:00-24:00"
    rules = CampaignRules(
        max_attempts=1,
        weekday_hours=always,
        saturday_hours=always,
        sunday_hours=always,
        holiday_hours=always,
        # The simulated carrier's numbers are in no contract (R-084 is shown by the tests).
        contract_numbers_only=False,
    )
    await engine.db.upgrade()
    await store.add_scenario(name, scenario, "demo-author", now)
    # The same operations as `hotline campaign ...` and the console: checked, audited, and
    # approved by a supervisor who is not the author.
    author, manager = Actor("demo-author", "cli"), Actor("demo-manager", "cli")
    await operations.create(engine.db, name, name, rules, author)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "contacts.csv"
        lines = ["phone,amount"] + [f"{phone},1520.30" for phone in DEMO_CONTACTS]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = await operations.check_contacts(engine.db, settings, name, path)
    await operations.attach_contacts(engine.db, name, name, "demo", report, author)
    users = Users(engine.db, settings.web)
    if await users.get(manager.name) is None:
        await users.add(manager.name, Role.SUPERVISOR, secrets.token_urlsafe(16), author)
    await operations.approve(engine.db, name, manager)
    zone = settings.hours.timezone
    await operations.transition(engine.db, name, "start", manager, default_zone=zone)
    console.print(f"campaign {name}: {len(DEMO_CONTACTS)} contacts, approved by demo-manager")
    await engine.start()
    failures = 0
    try:
        for _poll in range(180):  # the state lives in the database: poll it, 90 s at most
            if (await store.campaign(name)).state == "finished":
                break
            await asyncio.sleep(0.5)
        else:
            console.print("[red]the campaign did not finish within 90 s[/]")
            return 1
        sheets = await report_rows(store, name)
    finally:
        await engine.stop()
    table = Table("телефон", "итог", "причина", "попыток")
    for row in sheets["contacts"]:
        table.add_row(
            row["phone"],
            label("Result", row["result"]),
            label("Reason", row["reason"]),
            str(row["attempts"]),
        )
        if f"{row['result']}:{row['reason']}" != DEMO_CONTACTS[row["phone"]]:
            failures += 1
            console.print(f"[red]{row['phone']}: expected {DEMO_CONTACTS[row['phone']]}[/]")
    console.print(table)
    console.print(f"[dim]report: hotline campaign report {name} --csv DIR[/]")
    return failures


async def _history(settings: Settings, console: Console) -> None:
    """A labelled synthetic day of traffic, so every page of the console has figures."""
    from hotline.cli.demo_history import write_history
    from hotline.store.db import Database

    console.rule("A synthetic day of traffic for the console")
    console.print("Writing the last 24 hours of labelled test calls (about half a minute)...")
    async with Database.from_settings(settings) as db:
        await db.upgrade()
        made = await write_history(db, settings, now=utc_now())
    console.print(
        f"{made.calls} test calls ({made.queued} queued: {made.answered} answered, "
        f"{made.abandoned} hung up waiting, {made.callbacks} callback requests), "
        f"{made.readings} meter readings, {made.recordings} recordings; campaign "
        f"{made.campaign} with {made.attempts} attempts.  They are test calls: the console "
        "counts them with «включая тестовые звонки» (on in the demo)."
    )


DEMO_OPERATOR = "demo.operator"
# The simulated operator answers after 2 s and talks for 5 s.
DEMO_ANSWER_AFTER, DEMO_HANDLING = 2, 5
ROUND_THE_CLOCK = "00:00-24:00"


async def _queue_scene(settings: Settings, console: Console, started: datetime) -> int:
    """A caller presses 0 and is answered by a simulated operator; then the queue report."""
    console.rule(f"{len(SCENES) + 1}. A caller reaches a simulated operator in the queue")
    probe = Engine(settings)
    await probe.db.upgrade()
    open_now = (await probe.hours.current()).is_open(utc_now())
    await probe.db.dispose()
    if not open_now:
        # Operators are off duty now, when nobody is queued; this scene alone runs with
        # round-the-clock operator hours (a demo setting, said out loud, not a faked result).
        console.print("[yellow]Operators are off duty now: this scene uses 00:00-24:00 hours.[/]")
        days = {name: ROUND_THE_CLOCK for name in HoursSettings.model_fields if name != "timezone"}
        settings = settings.model_copy(update={"hours": settings.hours.model_copy(update=days)})
    lingering = settings.simulate.model_copy(
        update={"queue_linger_seconds": DEMO_ANSWER_AFTER + DEMO_HANDLING + 20.0}
    )
    engine = Engine(settings)
    await engine.start()
    failures = 0
    try:
        await engine.ami.wait_connected(settings.ami.connect_timeout * 3)
        interface = ops.simulated_interface(DEMO_OPERATOR, DEMO_ANSWER_AFTER, DEMO_HANDLING)
        if await engine.operators.by_interface(interface) is None:
            await engine.operators.add(DEMO_OPERATOR, interface, simulated=True)
        await ops.login(engine.ami, engine.operators, settings, DEMO_OPERATOR)
        console.print(
            f"operator {DEMO_OPERATOR} logged in (answers after {DEMO_ANSWER_AFTER} s, "
            f"talks {DEMO_HANDLING} s); keys: 0"
        )
        try:
            async with ami_client(settings, AmiRole.CLI) as ami:
                simulator = Simulator(ami, engine.call_log, lingering)
                transcript = await simulator.run("0", "+79135550101")
        finally:
            await ops.logout(engine.ami, engine.operators, settings, DEMO_OPERATOR)
        render_transcript(transcript, console)
        await asyncio.sleep(1.5)  # the queue tracker stores the last AMI events
        kinds = [e.kind for e in await QueueEvents(engine.db).for_uniqueid(transcript.uniqueid)]
        if QueueEventKind.CONNECT not in kinds:
            failures += 1
            console.print(f"[red]the operator did not answer (queue events: {kinds})[/]")
        else:
            console.print(
                f"[green]answered by {DEMO_OPERATOR}[/] (queue events: "
                f"{', '.join(k.value for k in kinds)})"
            )
        recordings = await engine.recordings.for_uniqueid(transcript.uniqueid)
        for rec in recordings:
            console.print(f"recording: {rec.path} ({rec.duration} s, operator {rec.operator})")
        console.rule("The queue report for the demo's calls")
        end = utc_now() + timedelta(seconds=1)
        report = await build_report(engine.db, settings, started, end, include_simulated=True)
        print_report(report, started, end, ZoneInfo(settings.hours.timezone))
    finally:
        await engine.stop()
    return failures
