"""hotline sms: text messages to customers through Kannel (R-091, R-092).  `send` queues a
message in the outbox (the running engine sends it and stores its delivery reports); `list`
and `show` tell what became of them.  Phone numbers are masked unless --full is given."""

from __future__ import annotations

import json
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.table import Table

from hotline.cli.context import settings_of
from hotline.cli.support import fail, run_with_db
from hotline.store.db import Database
from hotline.store.models import SmsStatus
from hotline.store.sms import SmsEventRecord, SmsRecord, SmsStore
from hotline.store.sms_notifier import SmsNotifier

app = typer.Typer(no_args_is_help=True, help=__doc__)

SOURCE_CLI: Final = "cli"
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
FullOption = Annotated[bool, typer.Option("--full", help="Show phone numbers unmasked.")]


@app.command()
def send(
    ctx: typer.Context,
    phone: Annotated[str, typer.Argument(help="The phone number (+7..., 8..., 9...).")],
    text: Annotated[str, typer.Argument(help="The text (R-091: 160 characters at most).")],
    as_json: JsonOption = False,
) -> None:
    """Queue an SMS; the engine sends it through Kannel (sms.enabled)."""
    settings = settings_of(ctx)

    async def work(db: Database) -> int:
        notifier = SmsNotifier(SmsStore(db), settings.sms, region=settings.dialer.default_region)
        return await notifier.notify(phone, text, source=SOURCE_CLI)

    message_id = run_with_db(settings, work, command="sms")
    if as_json:
        typer.echo(json.dumps({"id": message_id, "status": SmsStatus.QUEUED.value}))
    else:
        typer.echo(f"sms {message_id} queued")


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    status: Annotated[
        SmsStatus | None, typer.Option("--status", help="Only messages in this status.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 50,
    as_json: JsonOption = False,
    full: FullOption = False,
) -> None:
    """The newest messages first."""
    settings = settings_of(ctx)

    async def work(db: Database) -> list[SmsRecord]:
        return await SmsStore(db).recent(limit=limit, status=status)

    messages = run_with_db(settings, work, command="sms")
    if as_json:
        typer.echo(json.dumps([m.to_dict(mask=not full) for m in messages], ensure_ascii=False))
        return
    table = Table("id", "phone", "status", "parts", "source", "queued", "text")
    for m in messages:
        row = m.to_dict(mask=not full)
        table.add_row(
            str(m.id),
            row["phone"],
            m.status.value,
            str(m.parts),
            m.source,
            m.queued_at.isoformat(timespec="seconds"),
            m.text,
        )
    Console().print(table)


@app.command()
def show(
    ctx: typer.Context,
    message_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: JsonOption = False,
    full: FullOption = False,
) -> None:
    """One message with its history: tries, Kannel's answers, delivery reports."""
    settings = settings_of(ctx)

    async def work(db: Database) -> tuple[SmsRecord | None, list[SmsEventRecord]]:
        store = SmsStore(db)
        return await store.get(message_id), await store.events(message_id)

    message, events = run_with_db(settings, work, command="sms")
    if message is None:
        fail("sms", f"no message {message_id}")
    document = message.to_dict(mask=not full) | {"events": [e.to_dict() for e in events]}
    if as_json:
        typer.echo(json.dumps(document, ensure_ascii=False))
        return
    for key, value in document.items():
        if key != "events":
            typer.echo(f"{key}: {value}")
    for event in events:
        kind = event.kind.value if event.dlr_type is None else f"dlr {event.dlr_type}"
        typer.echo(f"  {event.at.isoformat(timespec='seconds')} {kind} {event.detail or ''}")
