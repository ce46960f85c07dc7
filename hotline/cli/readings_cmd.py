"""hotline readings: export the meter readings taken by phone for billing."""

from __future__ import annotations

import csv
import datetime as dt
import re
import sys
from pathlib import Path
from typing import Annotated, Final, TextIO
from zoneinfo import ZoneInfo

import typer

from hotline.cli.context import settings_of
from hotline.cli.support import run_with_db
from hotline.store.accounts import ReadingRecord, ReadingStore
from hotline.store.db import Database

app = typer.Typer(no_args_is_help=True, help=__doc__)

EXIT_BAD_VALUE: Final = 2
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

    async def work(db: Database) -> list[ReadingRecord]:
        return await ReadingStore(db).current(since=start, period=period)

    readings = run_with_db(settings, work, command="readings", errors=())
    rows = [_row(r, zone) for r in readings]
    if format_ == "xlsx":
        assert output is not None
        _write_xlsx(output, rows)
    elif output is None:
        _write_csv(sys.stdout, rows)
    else:
        with output.open("w", encoding="utf-8", newline="") as stream:
            _write_csv(stream, rows)
    flagged = sum(1 for r in readings if r.needs_review)
    typer.echo(f"{len(readings)} readings exported, {flagged} flagged for review", err=True)


def _row(reading: ReadingRecord, zone: ZoneInfo) -> tuple[object, ...]:
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
        reading.taken_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
        reading.call_id or "",
    )


def _write_csv(stream: TextIO, rows: list[tuple[object, ...]]) -> None:
    writer = csv.writer(stream)
    writer.writerow(HEADER)
    writer.writerows(rows)


def _write_xlsx(path: Path, rows: list[tuple[object, ...]]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("readings")
    sheet.append(list(HEADER))
    for row in rows:
        # Text for the ids, so billing's leading zeros survive Excel.
        sheet.append([str(row[0]), str(row[1]), *row[2:]])
    book.save(path)
