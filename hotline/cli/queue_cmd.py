"""hotline queue: the operator queue live (callers waiting, longest wait, operators and their
states) and the period report with every KPI against its target."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Final, Literal
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from hotline.cli.context import settings_of
from hotline.cli.support import parse_when, run_with_ami, run_with_db
from hotline.contact_center import operators as ops
from hotline.contact_center.departments import departments
from hotline.contact_center.kpi import Kpi, QueueReport
from hotline.contact_center.queue_report import build_report, report_sheets
from hotline.contact_center.satisfaction import Satisfaction, satisfaction_sheet
from hotline.core import spreadsheets as tabular
from hotline.core.errors import NotFound
from hotline.core.vocabulary import describe, label
from hotline.store.db import Database
from hotline.store.operators import Operators
from hotline.store.ratings import OperatorSatisfaction, RatingStore
from hotline.transport.ami import AmiClient

app = typer.Typer(no_args_is_help=True, help=__doc__)

EXIT_BAD_VALUE: Final = 2


@app.command()
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Callers waiting now, the longest wait, operators and their states (AMI QueueStatus)."""
    settings = settings_of(ctx)

    async def work(db: Database, ami: AmiClient) -> ops.LiveQueue:
        events = await ami.queue_status(settings.queue.name)
        return ops.live_queue(events, settings.queue.name, await Operators(db).all())

    live = run_with_ami(settings, work, command="queue", errors=(ops.OperatorError, NotFound))
    if as_json:
        typer.echo(json.dumps(live.to_dict(), ensure_ascii=False, indent=2))
        return
    data = live.to_dict()
    typer.echo(
        f"queue {live.queue}: {data['callers_waiting']} waiting, longest wait "
        f"{data['longest_wait']} s; today answered {data['completed']}, "
        f"abandoned {data['abandoned']}"
    )
    if live.callers:
        callers = Table("Position", "Caller", "Waiting, s")
        for c in live.callers:
            callers.add_row(str(c["position"]), str(c["caller"] or "anonymous"), str(c["wait"]))
        Console(width=200).print(callers)
    members = Table("Operator", "State", "In call", "Calls taken")
    for m in live.members:
        members.add_row(
            m["name"],
            label("DeviceState", m["state"]),
            "yes" if m["in_call"] else "",
            str(m["calls_taken"]),
        )
    Console(width=200).print(members)


SEED_KPIS: Final = ("wait_within_limit", "lost_ratio_seed")


def _target(kpi: Kpi) -> str:
    if kpi.target is None:
        return ""
    text = ("≥ " if kpi.sense == "ge" else "≤ ") + _fmt(kpi.target, kpi.unit)
    if kpi.seed_target is not None:
        seed = _fmt(kpi.seed_target, kpi.unit)
        text += f" (supervisor's choice; the seed: {seed})" if kpi.chosen else " (the seed's)"
    return text


def _met(kpi: Kpi) -> str:
    return "" if kpi.met is None else ("yes" if kpi.met else "NO")


def print_report(report: QueueReport, start: datetime, end: datetime, zone: ZoneInfo) -> None:
    typer.echo(f"queue report {start.isoformat()} .. {end.isoformat()}")
    # The seeds' own definitions first (R-026, R-029).
    wait, lost = (report.kpi(name) for name in SEED_KPIS)
    value = "n/a" if wait.value is None else _fmt(wait.value, wait.unit)
    typer.echo(
        f"wait within {report.wait_limit} s (every call, R-026): {value} of {report.offered} "
        f"calls in the queue, target {_target(wait)}, met: {_met(wait) or 'n/a'}"
    )
    over = report.over_wait_limit
    typer.echo(f"calls that waited over {report.wait_limit} s: {len(over)}")
    if over:
        table = Table("Call", "Joined", "Waited, s", "Outcome")
        for call in over:
            outcome = "answered" if call.answered else ("callback" if call.callback else "lost")
            joined = call.joined_at.astimezone(zone).strftime("%d.%m.%Y %H:%M:%S")
            table.add_row(call.uniqueid, joined, f"{call.wait:.1f}", outcome)
        Console(width=200).print(table)
    value = "n/a" if lost.value is None else _fmt(lost.value, lost.unit)
    typer.echo(
        f"lost calls (ended before an operator answered, over all {report.calls_total} calls "
        f"received; 003 item 79 g): {report.lost_seed} = {value}, limit {_target(lost)}, "
        f"met: {_met(lost) or 'n/a'}"
    )
    typer.echo(f"  hung up while waiting:                {report.lost_waiting}")
    typer.echo(f"  left a callback request and hung up:  {report.lost_callback}")
    typer.echo(f"  hung up in the IVR before the queue:  {report.lost_in_ivr}")
    typer.echo(
        f"other definitions: calls {report.calls_total}, offered to the queue "
        f"{report.offered}, answered {report.answered} ({report.answered_within_target} "
        f"within their own target), lost in the queue without a callback {report.lost}, "
        f"callbacks from the queue {report.callbacks_from_queue}; callbacks requested "
        f"{report.callbacks_requested}, done {report.callbacks_done}; IVR contained "
        f"{report.ivr_contained}"
    )
    table = Table("KPI", "Value", "Target", "Met")
    for kpi in report.kpis:
        if kpi.name in SEED_KPIS:
            continue
        value = "n/a" if kpi.value is None else _fmt(kpi.value, kpi.unit)
        name = describe("Kpi", kpi.name, {"wait_limit": report.wait_limit})
        table.add_row(name, value, _target(kpi), _met(kpi))
    Console(width=200).print(table)


def _fmt(value: float, unit: str) -> str:
    return f"{value * 100:.1f} %" if unit == "share" else f"{value:g} s"


@app.command()
def stats(
    ctx: typer.Context,
    from_: Annotated[str, typer.Option("--from", help="Start: YYYY-MM-DD or ISO date-time.")],
    to: Annotated[str, typer.Option("--to", help="End (a date includes that day).")],
    fmt: Annotated[Literal["table", "json", "csv", "xlsx"], typer.Option("--format")] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File for csv/xlsx (xlsx needs it).")
    ] = None,
    include_simulated: Annotated[
        bool, typer.Option("--include-simulated", help="Count simulator calls too.")
    ] = False,
    queue: Annotated[
        str | None,
        typer.Option(
            "--queue",
            help="One department's queue (operators, dispatcher...; queue.departments); "
            "default the whole hotline.",
        ),
    ] = None,
) -> None:
    """The period report: the seeds' definitions first (every call's wait against 40 s, the
    calls over it; lost calls over all calls received, callbacks apart), then service level
    by each call's own target, other lost-call figures, waits, handling time by call type,
    callbacks and IVR containment, each against its target."""
    settings = settings_of(ctx)
    start, end = parse_when(from_, settings), parse_when(to, settings, end=True)
    if end <= start:
        typer.echo("queue stats: --to must be after --from", err=True)
        raise typer.Exit(EXIT_BAD_VALUE)
    if fmt == "xlsx" and output is None:
        typer.echo("queue stats: --format xlsx needs --output FILE", err=True)
        raise typer.Exit(EXIT_BAD_VALUE)
    known = departments(settings.queue)
    if queue is not None and queue not in known:
        typer.echo(f"queue stats: unknown queue {queue!r}: one of {', '.join(known)}", err=True)
        raise typer.Exit(EXIT_BAD_VALUE)

    zone = ZoneInfo(settings.hours.timezone)

    async def work(db: Database) -> tuple[QueueReport, list[OperatorSatisfaction]]:
        report = await build_report(
            db,
            settings,
            start.astimezone(UTC),
            end.astimezone(UTC),
            include_simulated=include_simulated,
            department=queue,
        )
        # Ratings after operator calls: by operator, every queue.
        ratings = await RatingStore(db).by_operator(
            start.astimezone(UTC), end.astimezone(UTC), include_simulated=include_simulated
        )
        if fmt in ("csv", "xlsx") and output is not None:
            render = tabular.to_xlsx if fmt == "xlsx" else tabular.to_csv
            sheets = [
                *report_sheets(report, zone),
                satisfaction_sheet(Satisfaction(tuple(ratings))),
            ]
            data = await asyncio.to_thread(render, sheets)
            await asyncio.to_thread(output.write_bytes, data)
        return report, ratings

    report, ratings = run_with_db(settings, work, command="queue")
    if fmt in ("csv", "xlsx") and output is not None:
        typer.echo(f"wrote {output}")
    elif fmt == "csv":
        sheets = [*report_sheets(report, zone), satisfaction_sheet(Satisfaction(tuple(ratings)))]
        typer.echo(tabular.to_csv(sheets).decode("utf-8"), nl=False)
    elif fmt == "json":
        data = {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "queue": queue or "all",
            **report.to_dict(),
            "satisfaction": [
                {"operator": r.operator, "count": r.count, "average": r.average} for r in ratings
            ],
        }
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        if queue is not None:
            typer.echo(f"queue {queue}: {known[queue].title} ({known[queue].queue})")
        print_report(report, start, end, zone)
        print_satisfaction(ratings)
        if report.ring_no_answer:
            missed = ", ".join(f"{name} {n}" for name, n in report.ring_no_answer.items())
            typer.echo(f"rang out unanswered (R-031), by operator: {missed}")


def print_satisfaction(ratings: list[OperatorSatisfaction]) -> None:
    """Оценка разговора с оператором (1-5) by operator, R-108."""
    if not ratings:
        typer.echo("satisfaction (rating 1-5 after the call): no ratings")
        return
    table = Table("Operator", "Ratings", "Average (1-5)", title="Satisfaction")
    for r in ratings:
        table.add_row(r.operator, str(r.count), f"{r.average:.2f}")
    Console(width=200).print(table)
