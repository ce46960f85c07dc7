"""`make demo`: the sandbox, the engine and a few scripted calls, printed for a person to read.

Later issues add their scenes here (meter readings, a campaign).  The operator-queue scene
sends a caller to a simulated operator and prints the queue report of the demo's calls.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hotline import operators as ops
from hotline.accounts_import import parse_accounts
from hotline.app import Engine, resolve_ami_secret
from hotline.cli.queue_cmd import print_report
from hotline.cli.render import render_transcript
from hotline.constants import CallOutcome, QueueEventKind
from hotline.queue_stats import build_report
from hotline.sandbox import Sandbox
from hotline.settings import HoursSettings, Settings
from hotline.simulate import Simulator, Transcript
from hotline.speech.library import PromptLibrary
from hotline.store.contact_center import QueueEvents
from hotline.transport.ami import AmiClient


@dataclass(frozen=True)
class Scene:
    title: str
    dtmf: str
    caller_id: str | None
    expected_outcome: str
    engine_running: bool = True


# The sample billing file (README: "Accounts and meter readings").
SAMPLE_ACCOUNTS = Path(__file__).resolve().parents[1] / "samples" / "accounts.csv"

SCENES = (
    Scene(
        "Information, then tariffs (typed ahead), back with *, then the operator",
        "31w*w0",
        "+79131234567",
        "operator",
    ),
    Scene("Reporting a power outage: 4, then 1", "41", "83942223344", "operator"),
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
        started = datetime.now(UTC)
        failures = asyncio.run(_play(settings, console))
        failures += asyncio.run(_queue_scene(settings, console, started))
    finally:
        console.print("Stopping the sandbox...")
        sandbox.down()
    console.rule("[bold green]demo finished" if not failures else "[bold red]demo failed")
    return 1 if failures else 0


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
        operators_open = hours.is_open(datetime.now(UTC))
        if not operators_open:
            # The same calls then end with the hours and a callback offer instead.
            console.print("[yellow]Operators are off duty now: expect the out-of-hours path.[/]")
        async with AmiClient(settings.ami, resolve_ami_secret(settings)) as ami:
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
                expected = scene.expected_outcome
                if expected == CallOutcome.OPERATOR and not operators_open:
                    expected = CallOutcome.COMPLETED
                if transcript.outcome != expected:
                    failures += 1
                    console.print(f"[red]expected outcome {expected}, got {transcript.outcome}[/]")
        await _print_call_log(engine, transcripts, console)
    finally:
        await engine.stop()
    return failures


async def _print_call_log(engine: Engine, transcripts: list[Transcript], console: Console) -> None:
    console.rule("The call log")
    table = Table("uniqueid", "caller", "answered", "path", "outcome", "hang-up")
    for transcript in transcripts:
        record = await engine.call_log.get(uniqueid=transcript.uniqueid)
        if record is None:
            table.add_row(transcript.uniqueid, "-", "-", "-", "(not logged)", "-")
            continue
        table.add_row(
            record.uniqueid,
            record.caller or "anonymous",
            record.answered_at.strftime("%H:%M:%S") if record.answered_at else "-",
            " > ".join(record.path) or "-",
            str(record.outcome or "-"),
            record.hangup_cause or "-",
        )
    console.print(table)


DEMO_OPERATOR = "demo.operator"
# The simulated operator answers after 2 s and talks for 5 s.
DEMO_ANSWER_AFTER, DEMO_HANDLING = 2, 5
ROUND_THE_CLOCK = "00:00-24:00"


async def _queue_scene(settings: Settings, console: Console, started: datetime) -> int:
    """A caller presses 0 and is answered by a simulated operator; then the queue report."""
    console.rule(f"{len(SCENES) + 1}. A caller reaches a simulated operator in the queue")
    probe = Engine(settings)
    await probe.db.upgrade()
    open_now = (await probe.hours.current()).is_open(datetime.now(UTC))
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
            async with AmiClient(settings.ami, resolve_ami_secret(settings)) as ami:
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
        end = datetime.now(UTC) + timedelta(seconds=1)
        report = await build_report(engine.db, settings, started, end, include_simulated=True)
        print_report(report, started, end)
    finally:
        await engine.stop()
    return failures
