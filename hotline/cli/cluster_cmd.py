"""hotline cluster: the two-node test bed on this one machine (issue 20): Kamailio, two
Asterisk nodes (sandbox instances on 127.0.0.2 and 127.0.0.3) and two engine workers on
PostgreSQL; nothing leaves the loopback.  Needs root (the sandbox) and Debian's kamailio."""

from __future__ import annotations

import time
from itertools import chain

import typer

from hotline.cli.context import CliState, settings_of
from hotline.cli.support import EXIT_FAILED, EXIT_MISCONFIGURED
from hotline.sandbox import SandboxError
from hotline.sandbox.cluster_bed import ClusterBed
from hotline.sandbox.cluster_plan import BedError

app = typer.Typer(no_args_is_help=True, help=__doc__)

# `status` exit code when a part is not running (as in LSB init scripts).
EXIT_STOPPED = 3


def _progress(line: str) -> None:
    typer.echo(f"cluster: {line}")


def _bed(ctx: typer.Context) -> ClusterBed:
    settings = settings_of(ctx)
    state = ctx.find_root().obj
    forwarded: list[str] = []
    config = None
    if isinstance(state, CliState):
        forwarded = list(chain.from_iterable(("--set", o) for o in state.overrides))
        config = state.config_file
    try:
        return ClusterBed(settings, _progress, worker_args=forwarded, config_file=config)
    except BedError as exc:
        typer.echo(f"cluster: {exc}", err=True)
        raise typer.Exit(EXIT_MISCONFIGURED) from exc


@app.command()
def up(ctx: typer.Context) -> None:
    """Start the nodes, Kamailio and one worker per node (what already runs is kept)."""
    started = time.monotonic()
    bed = _bed(ctx)
    try:
        parts = bed.up()
    except SandboxError as exc:
        typer.echo(f"cluster: up failed: {exc}", err=True)
        typer.echo("cluster: `hotline cluster down` stops what did start", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    for part in parts:
        typer.echo(part.describe())
    typer.echo(f"cluster: up in {time.monotonic() - started:.1f} s; logs in {bed.log_dir}")


@app.command()
def down(ctx: typer.Context) -> None:
    """Stop exactly what `up` started: the workers, Kamailio, the nodes' Asterisk."""
    try:
        stopped = _bed(ctx).down()
    except SandboxError as exc:
        typer.echo(f"cluster: down failed: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    typer.echo(f"cluster: stopped {', '.join(stopped)}" if stopped else "cluster: nothing ran")


@app.command()
def status(ctx: typer.Context) -> None:
    """Each part, running or stopped, with its addresses; exit code 3 if any is stopped."""
    parts = _bed(ctx).status()
    for part in parts:
        typer.echo(part.describe())
    if not all(part.running for part in parts):
        raise typer.Exit(EXIT_STOPPED)
