"""hotline readings: export the meter readings taken by phone for billing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Final
from zoneinfo import ZoneInfo

import typer

from hotline.cli.context import settings_of
from hotline.cli.export_files import Counted, write_stream
from hotline.cli.support import run_with_db
from hotline.core.spreadsheets import Cell, SheetStream, csv_stream, xlsx_stream
from hotline.store.accounts import ReadingRecord, ReadingStore
from hotline.store.db import Database

app = typer.Typer(no_args_is_help=True, help=__doc__)

EXIT_BAD_VALUE: Final = 2
SHEET_TITLE: Final = "readings"
HEADER: Final = (
    "account",
    "meter",
    "zone",
    "period",
    "value",
    "previous",
    "consumption",
    "flags",
    "needs_review",
    "taken_at",
    "call_id",
)
_PERIOD: Final = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@app.command()
def export(
    ctx: typer.Context,
    format_: Annotated[str, typer.Option("--format", help="csv or xlsx.")] = "csv",
    since: Annotated[
        str | None, typer.Option(help="Only readings taken on or after this date (YYYY-MM-DD).")
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="Only readings for this billing period (YYYY-MM).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (CSV default: standard output)."),
    ] = None,
) -> None:
    """The current readings (superseded ones left out), one row per meter zone, and how many
    are flagged for review.  Times are local to accounts.default_timezone."""
    settings = settings_of(ctx)
    zone = ZoneInfo(settings.accounts.default_timezone)
    if format_ not in ("csv", "xlsx"):
        typer.echo(f"readings export: --format must be csv or xlsx, not {format_!r}", err=True)
        raise typer.Exit(EXIT_BAD_VALUE)
    if format_ == "xlsx" and output is None:
        typer.echo("readings export: --format xlsx needs --output FILE", err=True)
        raise typer.Exit(EXIT_BAD_VALUE)
    if period is not None and not _PERIOD.match(period):
        typer.echo(f"readings export: --period must be YYYY-MM, not {period!r}", err=True)
        raise typer.Exit(EXIT_BAD_VALUE)
    start = None
    if since is not None:
        try:
            start = dt.datetime.combine(dt.date.fromisoformat(since), dt.time(), zone)
        except ValueError:
            typer.echo(f"readings export: --since must be YYYY-MM-DD, not {since!r}", err=True)
            raise typer.Exit(EXIT_BAD_VALUE) from None

    async def work(db: Database) -> tuple[int, int]:
        pages = Counted(ReadingStore(db).current_pages(since=start, period=period))
        flagged = 0

        async def rows() -> AsyncIterator[list[tuple[Cell, ...]]]:
            nonlocal flagged
            async for page in pages:
                flagged += sum(1 for r in page if r.needs_review)
                yield [reading_row(r, zone) for r in page]

        sheets = [SheetStream(SHEET_TITLE, HEADER, rows())]
        stream = xlsx_stream(sheets) if format_ == "xlsx" else csv_stream(sheets)
        await write_stream(stream, output)
        return pages.count, flagged

    exported, flagged = run_with_db(settings, work, command="readings", errors=())
    typer.echo(f"{exported} readings exported, {flagged} flagged for review", err=True)


def reading_row(reading: ReadingRecord, zone: ZoneInfo) -> tuple[Cell, ...]:
    return (
        reading.account_number,
        reading.meter_id,
        reading.zone,
        reading.period,
        reading.value,
        reading.previous,
        reading.consumption,
        ",".join(reading.flags),
        "yes" if reading.needs_review else "no",
        reading.taken_at.astimezone(zone),
        reading.call_id or "",
    )
