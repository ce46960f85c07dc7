"""hotline sandbox: a real Asterisk 22 in a Debian sid chroot on this machine (needs root)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from hotline.cli.context import settings_of
from hotline.cli.support import EXIT_FAILED
from hotline.sandbox import Sandbox, SandboxError

app = typer.Typer(no_args_is_help=True, help=__doc__)

# `status` exit code when Asterisk is not running (as in LSB init scripts).
EXIT_STOPPED = 3


def _progress(line: str) -> None:
    typer.echo(f"sandbox: {line}")


def _sandbox(ctx: typer.Context) -> Sandbox:
    return Sandbox(settings_of(ctx), progress=_progress)


@app.command()
def up(ctx: typer.Context) -> None:
    """Build the chroot once, render the configs and start Asterisk (idempotent)."""
    started = time.monotonic()
    try:
        status = _sandbox(ctx).up()
    except SandboxError as exc:
        typer.echo(f"sandbox: up failed: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    for line in status.describe():
        typer.echo(line)
    typer.echo(f"sandbox: up in {time.monotonic() - started:.1f} s")


@app.command()
def down(ctx: typer.Context) -> None:
    """Stop Asterisk and unmount the chroot (idempotent)."""
    try:
        stopped = _sandbox(ctx).down()
    except SandboxError as exc:
        typer.echo(f"sandbox: down failed: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    typer.echo("sandbox: stopped" if stopped else "sandbox: was not running")


@app.command()
def status(ctx: typer.Context) -> None:
    """Running or stopped, Asterisk version, uptime and ports; exit code 3 when stopped."""
    state = _sandbox(ctx).status()
    for line in state.describe():
        typer.echo(line)
    if not state.running:
        raise typer.Exit(EXIT_STOPPED)


@app.command()
def cli(
    ctx: typer.Context,
    command: Annotated[
        str, typer.Argument(help='An Asterisk CLI command, e.g. "core show channels".')
    ],
) -> None:
    """Run an Asterisk CLI command in the sandbox (asterisk -rx) and print its output."""
    try:
        output = _sandbox(ctx).cli(command)
    except SandboxError as exc:
        typer.echo(f"sandbox: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    typer.echo(output.rstrip("\n"))
