"""hotline asterisk: configuration for an Asterisk the engine drives (production or sandbox)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hotline.cli.context import settings_of
from hotline.cli.support import EXIT_FAILED, EXIT_MISCONFIGURED
from hotline.dialplan.asterisk_config import (
    DEFAULT_AMI_PERMIT,
    RenderOptions,
    render_configs,
    write_configs,
)

app = typer.Typer(no_args_is_help=True, help=__doc__)


@app.callback()
def _group() -> None:
    """Keeps `render` a sub-command even while it is the only one."""


@app.command()
def render(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Argument(help="Directory to write the .conf files into.")],
    ami_secret_file: Annotated[
        Path | None,
        typer.Option(help="Read the AMI secret from this file instead of settings.ami.secret."),
    ] = None,
    ami_permit: Annotated[
        list[str] | None,
        typer.Option(
            help="Network allowed to log in to AMI, e.g. 10.0.0.5/255.255.255.255 "
            "(repeatable; default 127.0.0.1 only)."
        ),
    ] = None,
    sip_match: Annotated[
        list[str] | None,
        typer.Option(
            help="Carrier address(es) whose SIP calls are accepted (repeatable; "
            "default: sandbox.sip_host)."
        ),
    ] = None,
) -> None:
    """Render asterisk_conf/ templates with the current settings into OUT_DIR.

    The AMI secret comes from settings.ami.secret (HOTLINE_AMI__SECRET) or --ami-secret-file;
    the sandbox's generated secret is never used unless you pass its file explicitly.
    """
    settings = settings_of(ctx)
    if ami_secret_file is not None:
        try:
            secret = ami_secret_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            typer.echo(f"cannot read the AMI secret: {exc}", err=True)
            raise typer.Exit(EXIT_MISCONFIGURED) from exc
    elif settings.ami.secret is not None:
        secret = settings.ami.secret.get_secret_value()
    else:
        typer.echo(
            "no AMI secret: set ami.secret (hotline.toml, HOTLINE_AMI__SECRET or "
            "--set ami.secret=...) or pass --ami-secret-file",
            err=True,
        )
        raise typer.Exit(EXIT_MISCONFIGURED)
    if not secret:
        typer.echo("the AMI secret is empty", err=True)
        raise typer.Exit(EXIT_MISCONFIGURED)
    options = RenderOptions(
        ami_secret=secret,
        ami_permit=tuple(ami_permit or DEFAULT_AMI_PERMIT),
        sip_match=tuple(sip_match) if sip_match else None,
    )
    try:
        files = render_configs(settings, options)
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"cannot render: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    write_configs(files, out_dir)
    typer.echo(f"wrote {len(files)} files to {out_dir}: {', '.join(files)}")
