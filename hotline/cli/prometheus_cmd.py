"""hotline prometheus: the Prometheus configuration and alert rules for this installation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hotline.cli.context import settings_of
from hotline.dialplan.prometheus_config import (
    CONFIG_FILE,
    RULES_FILE,
    render_config,
    render_rules,
)

app = typer.Typer(no_args_is_help=True, help=__doc__)


@app.callback()
def _group() -> None:
    """Keeps `render` a sub-command even while it is the only one."""


@app.command()
def render(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="where prometheus.yml and the rules go")],
) -> None:
    """Write prometheus.yml (scraping the engine workers and the console) and the alert
    rules beside it; check them with `promtool check config DIR/prometheus.yml`."""
    settings = settings_of(ctx)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / RULES_FILE).write_text(render_rules(settings), encoding="utf-8")
    (directory / CONFIG_FILE).write_text(render_config(settings), encoding="utf-8")
    typer.echo(f"wrote {directory / CONFIG_FILE} and {directory / RULES_FILE}")
