"""hotline webhooks: events posted to billing and CRM (issue 22 item 4).  `list` shows each
configured endpoint's backlog and the dead letters, `retry` puts a dead letter back in its
endpoint's line (audited), `test` posts a signed ping to one endpoint now."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hotline.cli.context import settings_of
from hotline.cli.support import current_user, fail, run_with_db
from hotline.core.vocabulary import label
from hotline.credentials import WebhookSecretMissing, resolve_webhook_secrets
from hotline.messaging.webhooks import ping
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.webhooks import Backlog, Delivery, WebhookStore
from hotline.transport.webhook_http import WebhookPoster, WebhookPostFailed

app = typer.Typer(no_args_is_help=True, help=__doc__)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 50,
    as_json: JsonOption = False,
) -> None:
    """Each endpoint's backlog, then the newest dead letters with their last error."""
    settings = settings_of(ctx)
    names = [e.name for e in settings.webhooks.endpoints]

    async def work(db: Database) -> tuple[list[Backlog], list[Delivery]]:
        store = WebhookStore(db)
        return await store.backlog(names), await store.dead_letters(limit=limit)

    backlog, dead = run_with_db(settings, work, command="webhooks")
    if as_json:
        out: dict[str, Any] = {
            "endpoints": [
                {
                    "name": b.endpoint,
                    "pending": b.pending,
                    "dead": b.dead,
                    "delivered": b.delivered,
                    "oldest_pending": b.oldest_pending.isoformat() if b.oldest_pending else None,
                }
                for b in backlog
            ],
            "dead_letters": [d.to_dict() for d in dead],
        }
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    console = Console()
    urls = {e.name: e.url for e in settings.webhooks.endpoints}
    table = Table("endpoint", "url", "pending", "dead", "delivered", "oldest pending")
    for b in backlog:
        oldest = b.oldest_pending.isoformat(timespec="seconds") if b.oldest_pending else ""
        table.add_row(
            b.endpoint, urls[b.endpoint], str(b.pending), str(b.dead), str(b.delivered), oldest
        )
    console.print(table)
    if not names:
        typer.echo("no endpoints configured ([[webhooks.endpoints]])")
    letters = Table("id", "endpoint", "event", "kind", "at", "tries", "last error")
    for d in dead:
        letters.add_row(
            str(d.id),
            d.endpoint,
            d.event_id,
            label("WebhookKind", d.kind),
            d.at.isoformat(timespec="seconds"),
            str(d.tries),
            d.last_error or "",
        )
    console.print(letters)


@app.command()
def retry(
    ctx: typer.Context,
    delivery_id: Annotated[int, typer.Argument(help="The dead letter's id (see list).")],
) -> None:
    """Put a dead letter back in its endpoint's line; the engine posts it again."""
    settings = settings_of(ctx)

    async def work(db: Database) -> bool:
        return await WebhookStore(db).retry(delivery_id, Actor(current_user(), "cli"))

    if not run_with_db(settings, work, command="webhooks"):
        fail("webhooks", f"no dead letter {delivery_id}")
    typer.echo(f"dead letter {delivery_id} back in line")


@app.command()
def test(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The endpoint's name.")],
) -> None:
    """POST a signed ping to one endpoint now and print its answer."""
    settings = settings_of(ctx)
    endpoints = {e.name: e for e in settings.webhooks.endpoints}
    if name not in endpoints:
        fail("webhooks", f"no endpoint {name!r} (configured: {', '.join(endpoints) or 'none'})")
    try:
        secret = resolve_webhook_secrets(settings)[name]
    except WebhookSecretMissing as exc:
        fail("webhooks", exc)

    async def work() -> str:
        poster = WebhookPoster()
        try:
            return await ping(endpoints[name], secret, poster)
        finally:
            await poster.close()

    try:
        answer = asyncio.run(work())
    except WebhookPostFailed as exc:
        fail("webhooks", f"{name}: {exc}")
    typer.echo(f"{name}: {answer}")
