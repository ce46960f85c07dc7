"""hotline quality: the voice quality of calls (R-135): each SIP call's RTP loss, jitter and
round trip, against the thresholds of R-132 and R-133 (settings ``quality``)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Final
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from hotline.cli.context import settings_of
from hotline.cli.support import run_with_db
from hotline.contact_center.quality import QualityReport, daily_report
from hotline.core.vocabulary import label
from hotline.store.db import Database

app = typer.Typer(no_args_is_help=True, help=__doc__)

# A value the command cannot use (like Click's usage errors).
EXIT_BAD_VALUE: Final = 2


@app.command("report")
def report(
    ctx: typer.Context,
    day: Annotated[
        str | None, typer.Option("--day", help="Local day YYYY-MM-DD (default: today).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One day's calls measured, the calls over a threshold, and the averages."""
    settings = settings_of(ctx)
    zone = ZoneInfo(settings.hours.timezone)
    try:
        chosen = date.fromisoformat(day) if day else datetime.now(zone).date()
    except ValueError:
        typer.echo(f"quality report: --day {day!r} is not YYYY-MM-DD", err=True)
        raise typer.Exit(EXIT_BAD_VALUE) from None

    async def work(db: Database) -> QualityReport:
        return await daily_report(db, chosen, zone)

    found = run_with_db(settings, work, command="quality")
    if as_json:
        typer.echo(
            json.dumps(
                {"day": chosen.isoformat(), **found.to_dict()}, ensure_ascii=False, indent=2
            )
        )
        return
    limits = settings.quality
    legs = ", ".join(f"{leg} {count}" for leg, count in found.legs.items()) or "no legs"
    typer.echo(
        f"{chosen.isoformat()}: {found.measured} calls measured ({legs}), "
        f"{len(found.flagged)} legs over a threshold (loss > {limits.max_loss:.1%}, "
        f"jitter > {limits.max_jitter_ms:g} ms, delay > {limits.max_delay_ms:g} ms)"
    )
    if not found.flagged:
        return
    table = Table(
        "at", "call", "leg", "loss", "jitter ms", "rtt ms", "problems", title="Flagged legs"
    )
    for r in found.flagged:
        table.add_row(
            r.at.astimezone(zone).isoformat(timespec="seconds"),
            r.call,
            label("QualityLeg", r.leg.value),
            f"{r.loss:.2%}",
            f"{r.jitter_ms:g}",
            f"{r.rtt_ms:g}",
            ", ".join(label("QualityProblem", p) for p in r.problems),
        )
    Console(width=200).print(table)
