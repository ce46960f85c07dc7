"""hotline audit: read the audit log (who did what, when, from where).  There is no command
to change it: the database refuses updates and deletes."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hotline.cli.context import settings_of
from hotline.cli.support import run_with_db
from hotline.core.vocabulary import detail_text, label
from hotline.store.audit import AuditLog, AuditRecord
from hotline.store.db import Database

app = typer.Typer(no_args_is_help=True, help=__doc__)


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
