"""hotline kamailio: the SIP proxy in front of several Asterisk nodes (cluster.nodes)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hotline.cli.context import settings_of
from hotline.cli.support import EXIT_MISCONFIGURED
from hotline.dialplan.kamailio_config import (
    CONFIG_FILE,
    DISPATCHER_FILE,
    KamailioConfigError,
    render_kamailio,
)

app = typer.Typer(no_args_is_help=True, help=__doc__)


@app.callback()
def _group() -> None:
    """Keeps `render` a sub-command even while it is the only one."""


@app.command()
def render(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="where kamailio.cfg and dispatcher.list go")],
    installed_in: Annotated[
        Path | None,
        typer.Option(help="the folder Kamailio will read them from (cluster.kamailio.config_dir)"),
    ] = None,
) -> None:
    """Write kamailio.cfg (dispatcher, OPTIONS probing, call-load balancing, failover) and
    the dispatcher list of the nodes; check them with `kamailio -c -f DIR/kamailio.cfg`."""
    settings = settings_of(ctx)
    folder = installed_in or Path(settings.cluster.kamailio.config_dir)
    try:
        files = render_kamailio(settings, str(folder / DISPATCHER_FILE))
    except KamailioConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_MISCONFIGURED) from exc
    directory.mkdir(parents=True, exist_ok=True)
    (directory / DISPATCHER_FILE).write_text(files.dispatcher, encoding="utf-8")
    (directory / CONFIG_FILE).write_text(files.config, encoding="utf-8")
    typer.echo(f"wrote {directory / CONFIG_FILE} and {directory / DISPATCHER_FILE}")
