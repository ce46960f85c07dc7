"""hotline ivr: how callers use the IVR (option usage, containment, where they hang up).

Dates are local dates in ``hours.timezone`` (``--to`` includes the whole day) or ISO 8601
datetimes (without an offset, in ``hours.timezone``; ``--to`` is then exclusive).
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.table import Table

from hotline.calls import ivr_report
from hotline.calls.ivr_figures import IvrFigures, ivr_figures
from hotline.calls.ivr_stats import IvrExit, IvrStats
from hotline.cli.context import settings_of
from hotline.cli.support import run_with_db
from hotline.core import spreadsheets as tabular
from hotline.core.report_period import parse_period
from hotline.core.vocabulary import label
from hotline.store.db import Database
from hotline.store.rollup_buckets import Slots

app = typer.Typer(no_args_is_help=True, help=__doc__)

EXIT_BAD_VALUE: Final = 2
WIDE: Final = 200


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


@app.command()
def stats(
    ctx: typer.Context,
    start: Annotated[
        str, typer.Option("--from", metavar="DATE", help="YYYY-MM-DD or ISO datetime.")
    ],
    end: Annotated[
        str | None,
        typer.Option("--to", metavar="DATE", help="YYYY-MM-DD (inclusive) or ISO datetime."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    format_: Annotated[
        Format,
        typer.Option("--format", "-f", help="table, json, csv (Russian Excel) or xlsx."),
    ] = Format.TABLE,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file (needed for xlsx)."),
    ] = None,
    include_simulated: Annotated[
        bool, typer.Option("--include-simulated", help="Count simulated calls too.")
    ] = False,
) -> None:
    """Option usage, containment (calls served without an operator) and abandon points."""
    settings = settings_of(ctx)
    if as_json:
        format_ = Format.JSON
    if format_ is Format.XLSX and output is None:
        typer.echo("ivr: --format xlsx needs --output FILE", err=True)
        raise typer.Exit(EXIT_BAD_VALUE)
    try:
        zone = ZoneInfo(settings.hours.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        typer.echo(f"ivr: bad settings: unknown time zone {settings.hours.timezone!r}", err=True)
        raise typer.Exit(EXIT_BAD_VALUE) from exc
    try:
        first, last = parse_period(start, end, zone)
    except ValueError as exc:
        typer.echo(f"ivr: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_VALUE) from exc

    async def work(db: Database) -> IvrFigures:
        return await ivr_figures(
            db, first, last, include_simulated=include_simulated, slots=Slots(zone, 86400)
        )

    figures = run_with_db(settings, work, command="ivr", errors=())
    result = figures.stats
    if format_ in (Format.CSV, Format.XLSX):
        tables = ivr_report.sheets(result, figures.by_day(zone))
        data = tabular.to_csv(tables) if format_ is Format.CSV else tabular.to_xlsx(tables)
        if output is None:
            sys.stdout.buffer.write(data)
        else:
            output.write_bytes(data)
        return
    if format_ is Format.JSON:
        payload = {"from": first.isoformat(), "to": last.isoformat(), **result.to_dict()}
        text = json.dumps(payload, ensure_ascii=False, indent=2)
        if output is None:
            typer.echo(text)
        else:
            output.write_text(text + "\n", encoding="utf-8")
        return
    _print_tables(result, f"from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M %z} (exclusive)")


def _print_tables(result: IvrStats, period: str) -> None:
    console = _console()
    console.print(f"IVR calls started {period}")
    summary = Table(show_header=False)
    summary.add_column("What")
    summary.add_column("Value", justify="right")
    summary.add_row("calls", str(result.calls))
    containment = result.containment
    summary.add_row("containment", f"{containment:.1%}" if containment is not None else "–")
    for exit_ in IvrExit:
        count = result.exits.get(exit_.value, 0)
        if count or exit_ is not IvrExit.OTHER:
            summary.add_row(f"exit: {label('IvrExit', exit_)}", str(count))
    for reason, count in result.operator_reasons.items():
        summary.add_row(f"operator: {label('OperatorReason', reason)}", str(count))
    console.print(summary)

    usage = Table(title="Option usage")
    usage.add_column("Node")
    usage.add_column("Entered", justify="right")
    usage.add_column("Keys chosen")
    usage.add_column("Avg s", justify="right")
    usage.add_column("Hung up", justify="right")
    for node, entered in result.node_entries.items():
        keys = ", ".join(f"{key}: {n}" for key, n in result.keys.get(node, {}).items())
        usage.add_row(
            node,
            str(entered),
            keys,
            f"{result.average_seconds[node]:.1f}",
            str(result.abandon_points.get(node, "")),
        )
    console.print(usage)

    abandons = Table(title="Abandon points")
    abandons.add_column("Node")
    abandons.add_column("Hang-ups", justify="right")
    for node, count in result.abandon_points.items():
        abandons.add_row(node, str(count))
    console.print(abandons)


def _console() -> Console:
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=WIDE)
    return console
