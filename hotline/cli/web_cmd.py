"""hotline web: serve the supervisors' and operators' console."""

from __future__ import annotations

import typer
import uvicorn

from hotline.cli.context import settings_of
from hotline.web.app import create_app


def web(ctx: typer.Context) -> None:
    """Serve the browser console on web.host:web.port (127.0.0.1:8080 by default)."""
    settings = settings_of(ctx)
    typer.echo(f"console on http://{settings.web.host}:{settings.web.port}/")
    config = uvicorn.Config(
        create_app(settings),
        host=settings.web.host,
        port=settings.web.port,
        log_config=None,  # our logging set-up (masking) stays in charge
        proxy_headers=False,
    )
    uvicorn.Server(config).run()
