"""hotline recordings: the central archive of call recordings (list, export as a zip of
browser-playable audio with a CSV manifest, purge after the retention period).  Every access
is written to the audit log (`hotline recordings audit`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.table import Table

from hotline.cli.context import settings_of
from hotline.cli.support import EXIT_FAILED, current_user, parse_when, run_with_db
from hotline.contact_center import recordings as recording
from hotline.core.clock import utc_now
from hotline.core.logs import mask_account
from hotline.core.phones import mask_phone
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.recordings import RecordingRecord, Recordings

app = typer.Typer(no_args_is_help=True, help=__doc__)

EXIT_BAD_VALUE: Final = 2

ByOption = Annotated[str | None, typer.Option("--by", help="Who (default: $USER).")]


@app.command("list")
def list_(
    ctx: typer.Context,
    from_: Annotated[str | None, typer.Option("--from")] = None,
    to: Annotated[str | None, typer.Option("--to")] = None,
    call: Annotated[str | None, typer.Option("--call", help="One call's id.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    by: ByOption = None,
) -> None:
    """Recordings with their call, caller, account, operator, start and duration."""
    settings = settings_of(ctx)
    start = parse_when(from_, settings) if from_ else None
    end = parse_when(to, settings, end=True) if to else None
    who = Actor(by or current_user(), "cli")

    async def work(db: Database) -> list[RecordingRecord]:
        return await recording.search(
            Recordings(db), who, {"call_id": call}, start=start, end=end, call_id=call
        )

    rows = run_with_db(settings, work, command="recordings")
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    table = Table("Id", "Started", "Call", "Caller", "Account", "Operator", "Seconds", "File")
    for r in rows:
        table.add_row(
            str(r.id),
            r.started_at.astimezone().isoformat(sep=" ", timespec="seconds"),
            r.call_id or "",
            mask_phone(r.caller),
            mask_account(r.account) if r.account else "",
            r.operator or "",
            "" if r.duration is None else f"{r.duration:.1f}",
            r.path,
        )
    Console(width=250).print(table)


@app.command()
def export(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="The zip file to write.")],
    call: Annotated[str | None, typer.Option("--call", help="One call's id.")] = None,
    from_: Annotated[str | None, typer.Option("--from")] = None,
    to: Annotated[str | None, typer.Option("--to")] = None,
    by: ByOption = None,
) -> None:
    """A zip of the recordings (mp3 by default, recording.export_format) and manifest.csv:
    give --call ID, or --from and --to."""
    settings = settings_of(ctx)
    if (call is None) == (from_ is None or to is None):
        typer.echo("recordings export: give --call ID, or --from and --to", err=True)
        raise typer.Exit(EXIT_BAD_VALUE)
    start = parse_when(from_, settings) if from_ else None
    end = parse_when(to, settings, end=True) if to else None
    who = Actor(by or current_user(), "cli")

    async def work(db: Database) -> recording.ExportResult:
        return await recording.export(
            Recordings(db), settings, output, by=who, call_id=call, start=start, end=end
        )

    try:
        result = run_with_db(settings, work, command="recordings")
    except recording.RecordingError as exc:
        typer.echo(f"recordings export: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    typer.echo(f"wrote {result.path}: {result.recordings} recordings")
    if result.missing:
        typer.echo(f"files missing for recordings {list(result.missing)}", err=True)
        raise typer.Exit(EXIT_FAILED)


@app.command()
def purge(ctx: typer.Context, by: ByOption = None) -> None:
    """Delete recordings older than recording.retention_days now (the engine also does it
    daily at recording.purge_at)."""
    settings = settings_of(ctx)
    who = Actor(by or current_user(), "cli")

    async def work(db: Database) -> list[int]:
        return await recording.purge(
            Recordings(db),
            settings.recording.retention_days,
            by=who,
            root=recording.recordings_root(settings),
            now=utc_now(),
        )

    purged = run_with_db(settings, work, command="recordings")
    typer.echo(
        f"purged {len(purged)} recordings older than {settings.recording.retention_days} days"
    )


@app.command()
def audit(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1)] = 50,
) -> None:
    """Who listed, exported or purged which recordings, newest first (JSON lines)."""

    async def work(db: Database) -> list[dict[str, object]]:
        return await Recordings(db).audit_log(limit)

    for row in run_with_db(settings_of(ctx), work, command="recordings"):
        typer.echo(json.dumps(row, ensure_ascii=False))
