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
from hotline.settings import AmiRole, Settings


def for_node(settings: Settings, name: str) -> Settings:
    """``settings`` as node ``name`` of ``cluster.nodes`` sees them: its SIP and AMI addresses
    (KeyError naming the known nodes if there is no such node)."""
    spec = settings.cluster.node(name)
    sip = settings.sandbox.model_copy(
        update={"sip_host": spec.sip_host, "sip_port": spec.sip_port}
    )
    ami = settings.ami.model_copy(update={"host": spec.ami_host, "port": spec.ami_port})
    return settings.model_copy(update={"sandbox": sip, "ami": ami})


app = typer.Typer(no_args_is_help=True, help=__doc__)


@app.callback()
def _group() -> None:
    """Keeps `render` a sub-command even while it is the only one."""


def ami_secret_for(settings: Settings, role: AmiRole, secret_file: Path | None) -> str:
    """``role``'s AMI secret from its file, else from the settings; exits without one."""
    key = "secret" if role is AmiRole.ENGINE else f"{role.value}_secret"
    option = "--ami-secret-file" if role is AmiRole.ENGINE else f"--{role.value}-secret-file"
    if secret_file is not None:
        try:
            secret = secret_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            typer.echo(f"cannot read the {role.value}'s AMI secret: {exc}", err=True)
            raise typer.Exit(EXIT_MISCONFIGURED) from exc
    else:
        configured = settings.ami.configured_secret(role)
        if configured is None:
            typer.echo(
                f"no AMI secret for the {role.value}: set ami.{key} (hotline.toml, "
                f"HOTLINE_AMI__{key.upper()} or --set ami.{key}=...) or pass {option}",
                err=True,
            )
            raise typer.Exit(EXIT_MISCONFIGURED)
        secret = configured
    if not secret:
        typer.echo(f"the {role.value}'s AMI secret is empty", err=True)
        raise typer.Exit(EXIT_MISCONFIGURED)
    return secret


@app.command()
def render(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Argument(help="Directory to write the .conf files into.")],
    ami_secret_file: Annotated[
        Path | None,
        typer.Option(
            help="Read the engine's AMI secret from this file instead of settings.ami.secret."
        ),
    ] = None,
    console_secret_file: Annotated[
        Path | None,
        typer.Option(
            help="Read the console's AMI secret from this file instead of "
            "settings.ami.console_secret."
        ),
    ] = None,
    cli_secret_file: Annotated[
        Path | None,
        typer.Option(
            help="Read the CLI's AMI secret from this file instead of settings.ami.cli_secret."
        ),
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
            "default: sandbox.sip_host, or Kamailio's address with --node)."
        ),
    ] = None,
    node: Annotated[
        str | None,
        typer.Option(
            help="Render for this node of cluster.nodes: SIP and AMI bound to its addresses, "
            "calls accepted from Kamailio (cluster.kamailio.listen_host)."
        ),
    ] = None,
) -> None:
    """Render asterisk_conf/ templates with the current settings into OUT_DIR.

    manager.conf gets three AMI users, each with its own secret and only the rights it needs:
    the engine (settings.ami.secret or --ami-secret-file), the console (ami.console_secret or
    --console-secret-file) and the CLI (ami.cli_secret or --cli-secret-file). All three are
    required; the sandbox's generated secrets are never used unless you pass their files.
    """
    settings = settings_of(ctx)
    if node is not None:
        try:
            settings = for_node(settings, node)
        except KeyError as exc:
            typer.echo(str(exc.args[0]), err=True)
            raise typer.Exit(EXIT_MISCONFIGURED) from exc
        sip_match = sip_match or [settings.cluster.kamailio.listen_host]
    options = RenderOptions(
        ami_secret=ami_secret_for(settings, AmiRole.ENGINE, ami_secret_file),
        console_secret=ami_secret_for(settings, AmiRole.CONSOLE, console_secret_file),
        cli_secret=ami_secret_for(settings, AmiRole.CLI, cli_secret_file),
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
