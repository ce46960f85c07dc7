"""hotline deploy: what a Debian server needs to run hotline (see README, "Production")."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hotline.cli.asterisk_cmd import ami_secret_for
from hotline.cli.context import settings_of
from hotline.cli.deploy_render import render_deploy, server_settings, write_deploy
from hotline.cli.support import EXIT_FAILED
from hotline.dialplan.asterisk_config import (
    DEFAULT_AMI_PERMIT,
    RenderOptions,
    render_configs,
    write_configs,
)
from hotline.settings import AmiRole

app = typer.Typer(no_args_is_help=True, help=__doc__)


@app.callback()
def _group() -> None:
    """Keeps `render` a sub-command even while it is the only one."""


@app.command()
def render(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Argument(help="Directory to write the files into.")],
    asterisk: Annotated[
        bool,
        typer.Option(
            help="Also render the Asterisk configuration (needs the three AMI secrets, as "
            "`hotline asterisk render` does) into OUT_DIR/asterisk."
        ),
    ] = True,
    sip_match: Annotated[
        list[str] | None,
        typer.Option(help="Carrier address(es) whose SIP calls Asterisk accepts (repeatable)."),
    ] = None,
) -> None:
    """Render the systemd units, sysusers.d and tmpfiles.d entries, logrotate rule, nginx
    site, the services' settings and secrets template (and the Asterisk configuration) for
    the [deploy] layout into OUT_DIR; scripts/install-server.sh puts them in place."""
    settings = settings_of(ctx)
    files = render_deploy(settings)
    asterisk_files: dict[str, str] = {}
    if asterisk:
        options = RenderOptions(
            ami_secret=ami_secret_for(settings, AmiRole.ENGINE, None),
            console_secret=ami_secret_for(settings, AmiRole.CONSOLE, None),
            cli_secret=ami_secret_for(settings, AmiRole.CLI, None),
            ami_permit=DEFAULT_AMI_PERMIT,
            sip_match=tuple(sip_match) if sip_match else None,
        )
        try:
            asterisk_files = render_configs(server_settings(settings), options)
        except (FileNotFoundError, ValueError) as exc:
            typer.echo(f"cannot render the Asterisk configuration: {exc}", err=True)
            raise typer.Exit(EXIT_FAILED) from exc
    write_deploy(files, out_dir)
    for item in files:
        typer.echo(f"{out_dir / item.relative} -> {item.target}")
    if asterisk_files:
        write_configs(asterisk_files, out_dir / "asterisk")
        target = settings.deploy.asterisk_config_dir
        typer.echo(f"{out_dir / 'asterisk'}/*.conf ({len(asterisk_files)} files) -> {target}/")
