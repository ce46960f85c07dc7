"""hotline dnc: the do-not-call list (all campaigns)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dialer.contacts import ImportFileError, read_contacts
from dialer.repository import DialerStore
from hotline.cli.context import settings_of
from hotline.cli.dialer_support import ByOpt, run_dialer
from hotline.cli.support import EXIT_FAILED, current_user
from hotline.core.clock import utc_now
from hotline.core.phones import normalise_phone

app = typer.Typer(no_args_is_help=True, help="The do-not-call list (all campaigns).")


@app.command("add")
def dnc_add(
    ctx: typer.Context,
    numbers: list[str],
    reason: Annotated[str, typer.Option("--reason")] = "",
    by: ByOpt = None,
) -> None:
    """Add numbers; they are never dialled again, also by campaigns already running."""
    region = settings_of(ctx).dialer.default_region
    try:
        phones = [normalise_phone(n, region) for n in numbers]
    except ValueError as exc:
        typer.echo(f"dnc: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    added = run_dialer(
        ctx, lambda db: DialerStore(db).dnc_add(phones, by or current_user(), reason, utc_now())
    )
    typer.echo(f"{added} number(s) added to the do-not-call list")


@app.command("import")
def dnc_import(
    ctx: typer.Context,
    file: Path,
    reason: Annotated[str, typer.Option("--reason")] = "",
    by: ByOpt = None,
) -> None:
    """Add every number of a CSV/XLSX file (a phone column); nothing is added if a row fails."""
    region = settings_of(ctx).dialer.default_region
    try:
        report = read_contacts(file, {}, region=region, do_not_call=frozenset())
    except (ImportFileError, OSError) as exc:
        typer.echo(f"dnc: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    if not report.ok:
        for problem in report.errors:
            typer.echo(f"dnc: {problem}", err=True)
        raise typer.Exit(EXIT_FAILED)
    phones = [c.phone for c in report.contacts]
    added = run_dialer(
        ctx, lambda db: DialerStore(db).dnc_add(phones, by or current_user(), reason, utc_now())
    )
    typer.echo(f"{added} number(s) added to the do-not-call list")


@app.command("list")
def dnc_list(ctx: typer.Context) -> None:
    for phone in sorted(run_dialer(ctx, lambda db: DialerStore(db).dnc_numbers())):
        typer.echo(phone)


# --- campaigns ------------------------------------------------------------------------------
