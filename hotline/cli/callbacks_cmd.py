"""hotline callbacks: callback requests left by callers (out of hours, or instead of waiting
in the queue), listed for operators and marked done by them."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hotline.cli.context import settings_of
from hotline.cli.support import current_user, run_with_db
from hotline.contact_center import callbacks
from hotline.core.phones import mask_phone
from hotline.core.vocabulary import label
from hotline.store.audit import Actor
from hotline.store.callbacks import CallbackRecord
from hotline.store.db import Database

app = typer.Typer(no_args_is_help=True, help=__doc__)


@app.command("list")
def list_(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Also the ones already done.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Open callback requests, oldest first (the number to call is shown in full: operators
    need it; logs mask it)."""

    async def work(db: Database) -> list[CallbackRecord]:
        return await callbacks.requests(db, Actor(current_user(), "cli"), open_only=not all_)

    rows = run_with_db(settings_of(ctx), work, command="callbacks")
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    table = Table("Id", "Requested", "Number", "Account", "Source", "Status", "Done by")
    for r in rows:
        table.add_row(
            str(r.id),
            r.requested_at.astimezone().isoformat(sep=" ", timespec="seconds"),
            r.number,
            r.account or "",
            label("CallbackSource", r.source),
            label("CallbackStatus", r.status),
            r.done_by or "",
        )
    Console(width=200).print(table)


@app.command()
def done(
    ctx: typer.Context,
    callback_id: Annotated[int, typer.Argument(help="The request's id (callbacks list).")],
    by: Annotated[str | None, typer.Option("--by", help="The operator (default: $USER).")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Mark a callback request done."""
    who = Actor(by or current_user(), "cli")

    async def work(db: Database) -> CallbackRecord:
        return await callbacks.done(db, callback_id, who, note)

    record = run_with_db(settings_of(ctx), work, command="callbacks")
    typer.echo(f"callback {record.id} to {mask_phone(record.number)} done by {record.done_by}")


@app.command()
def assign(
    ctx: typer.Context,
    callback_id: Annotated[int, typer.Argument(help="The request's id (callbacks list).")],
    to: Annotated[
        str | None, typer.Option("--to", help="The operator; omit to give it back to everyone.")
    ] = None,
) -> None:
    """Assign a callback request to one operator: in the console, only that operator (or a
    supervisor) can mark it done."""
    who = Actor(current_user(), "cli")

    async def work(db: Database) -> CallbackRecord:
        return await callbacks.assign(db, callback_id, to, who)

    record = run_with_db(settings_of(ctx), work, command="callbacks")
    typer.echo(f"callback {record.id} assigned to {record.assigned_to or 'everyone'}")
