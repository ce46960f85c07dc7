"""hotline web: serve the supervisors' and operators' console."""

from __future__ import annotations

import asyncio

import typer
import uvicorn

from hotline.cli.context import settings_of
from hotline.cli.exits import EXIT_MISCONFIGURED
from hotline.settings import Settings
from hotline.store.db import Database, UnknownSchema
from hotline.web.app import create_app


async def _migrate(settings: Settings) -> None:
    """The schema brought to head before the server starts (the app's start-up would do it
    anyway), so a store a newer hotline migrated is refused with its message, not a
    traceback from inside the server."""
    async with Database.from_settings(settings) as db:
        await db.upgrade()


def web(ctx: typer.Context) -> None:
    """Serve the browser console on web.host:web.port (127.0.0.1:8080 by default)."""
    settings = settings_of(ctx)
    try:
        asyncio.run(_migrate(settings))
    except UnknownSchema as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_MISCONFIGURED) from exc
    typer.echo(f"console on http://{settings.web.host}:{settings.web.port}/")
    config = uvicorn.Config(
        create_app(settings),
        host=settings.web.host,
        port=settings.web.port,
        log_config=None,  # our logging set-up (masking) stays in charge
        proxy_headers=False,
    )
    uvicorn.Server(config).run()
