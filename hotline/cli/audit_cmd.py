"""hotline audit: read the audit log (who did what, when, from where).  There is no command
to change it: the database refuses updates and deletes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.table import Table

from hotline.access.audit_export import audit_stream
from hotline.cli.context import settings_of
from hotline.cli.export_files import Counted, write_stream
from hotline.cli.support import run_with_db
from hotline.core.spreadsheets import SheetStream, csv_stream, xlsx_stream
from hotline.core.vocabulary import detail_text, label
from hotline.store.audit import AuditLog, AuditRecord
from hotline.store.db import Database

app = typer.Typer(no_args_is_help=True, help=__doc__)

EXIT_BAD_VALUE: Final = 2


@app.command("list")
def list_(
    ctx: typer.Context,
    actor: Annotated[str | None, typer.Option("--actor", help="Only this user.")] = None,
    action: Annotated[str | None, typer.Option("--action", help="Only this action.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The newest entries first."""

    async def work(db: Database) -> list[AuditRecord]:
        return await AuditLog(db).entries(actor=actor, action=action, limit=limit)

    entries = run_with_db(settings_of(ctx), work, command="audit", errors=())
    if as_json:
        rows = [
            {
                "at": e.at.isoformat(),
                "actor": e.actor,
                "channel": e.channel,
                "source": e.source,
                "action": e.action,
                "target": e.target,
                "detail": e.detail,
            }
            for e in entries
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("at", "actor", "via", "action", "target", "detail")
    for e in entries:
        table.add_row(
            e.at.isoformat(timespec="seconds"),
            e.actor,
            f"{label('AuditChannel', e.channel)} {e.source or ''}".strip(),
            f"{label('AuditAction', e.action)} ({e.action})",  # the code: for --action
            e.target or "",
            detail_text(e.detail),
        )
    Console().print(table)


@app.command()
def export(
    ctx: typer.Context,
    format_: Annotated[str, typer.Option("--format", help="csv or xlsx.")] = "csv",
    actor: Annotated[str | None, typer.Option("--actor", help="Only this user.")] = None,
    action: Annotated[str | None, typer.Option("--action", help="Only this action.")] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (CSV default: standard output)."),
    ] = None,
) -> None:
    """The whole log (or one user's, one action's), oldest first, written as it is read."""
    if format_ not in ("csv", "xlsx"):
        typer.echo(f"audit export: --format must be csv or xlsx, not {format_!r}", err=True)
        raise typer.Exit(EXIT_BAD_VALUE)
    if format_ == "xlsx" and output is None:
        typer.echo("audit export: --format xlsx needs --output FILE", err=True)
        raise typer.Exit(EXIT_BAD_VALUE)

    async def work(db: Database) -> int:
        pages = Counted(AuditLog(db).pages(actor=actor, action=action))
        sheets: list[SheetStream] = [audit_stream(pages)]
        await write_stream(
            xlsx_stream(sheets) if format_ == "xlsx" else csv_stream(sheets), output
        )
        return pages.count

    exported = run_with_db(settings_of(ctx), work, command="audit", errors=())
    typer.echo(f"{exported} audit entries exported", err=True)
