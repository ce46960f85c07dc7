"""hotline calls: the call log.  Numbers are shown in full: this is for authorised staff."""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hotline.cli.context import settings_of
from hotline.cli.support import EXIT_FAILED, run_with_db
from hotline.core.vocabulary import label
from hotline.store.calllog import CallLog, CallRecord
from hotline.store.db import Database

app = typer.Typer(no_args_is_help=True, help=__doc__)

WIDE = 200

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.command("list")
def list_calls(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many calls.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """The most recent calls, newest first."""

    async def work(db: Database) -> list[CallRecord]:
        return await CallLog(db).recent(limit)

    calls = run_with_db(settings_of(ctx), work, command="calls", errors=())
    if as_json:
        _print_json([call.to_dict() for call in calls])
        return
    table = Table()
    # Ids and numbers are never cut; on a narrow terminal the other cells wrap.
    table.add_column("Started", min_width=10)
    table.add_column("Direction")
    table.add_column("Caller", no_wrap=True)
    table.add_column("Callee", no_wrap=True)
    table.add_column("Uniqueid", no_wrap=True)
    table.add_column("Outcome")
    table.add_column("Path", min_width=12)
    table.add_column("Duration", justify="right")
    for call in calls:
        table.add_row(
            _local(call.started_at, zone=False),
            label("CallDirection", call.direction) + (" (sim)" if call.simulated else ""),
            call.caller or "",
            call.callee or "",
            call.uniqueid,
            label("CallOutcome", call.outcome),
            " > ".join(call.path),
            _duration(call),
        )
    _console().print(table)


@app.command()
def show(
    ctx: typer.Context,
    ident: Annotated[str, typer.Argument(metavar="UNIQUEID|CALL_ID")],
    as_json: JsonOption = False,
) -> None:
    """One call and its events, by Asterisk uniqueid or by our call id."""

    async def work(db: Database) -> CallRecord | None:
        log = CallLog(db)
        return await log.get(uniqueid=ident) or await log.get(call_id=ident)

    call = run_with_db(settings_of(ctx), work, command="calls", errors=())
    if call is None:
        typer.echo(f"no call {ident}", err=True)
        raise typer.Exit(EXIT_FAILED)
    if as_json:
        _print_json(call.to_dict())
        return
    fields = Table.grid(padding=(0, 2))
    for key, value in call.to_dict().items():
        if key in ("events", "path"):
            continue
        if key.endswith("_at") and value is not None:
            value = _local(datetime.fromisoformat(value))
        fields.add_row(key, "" if value is None else str(value))
    fields.add_row("path", " > ".join(call.path))
    fields.add_row("duration", _duration(call))
    events = Table("At", "Kind", "Value", "Detail")
    for e in call.events:
        detail = json.dumps(e.detail, ensure_ascii=False) if e.detail is not None else ""
        events.add_row(_local(e.at, millis=True), label("EventKind", e.kind), e.value, detail)
    console = _console()
    console.print(fields)
    console.print(events)


def _console() -> Console:
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # Piped or redirected: rich would assume 80 columns and cut ids short.
        console = Console(width=WIDE)
    return console


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _local(at: datetime, *, millis: bool = False, zone: bool = True) -> str:
    # Staff read times in the server's local zone; JSON output keeps UTC.
    local = at.astimezone()
    if not zone:
        local = local.replace(tzinfo=None)
    return local.isoformat(sep=" ", timespec="milliseconds" if millis else "seconds")


def _duration(call: CallRecord) -> str:
    if call.ended_at is None:
        return ""
    seconds = max(int((call.ended_at - call.started_at).total_seconds()), 0)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"
