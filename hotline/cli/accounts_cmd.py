"""hotline accounts: load customer accounts, phones and meters from billing; show one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hotline.accounts.importer import Encoding, ImportFileError, ImportResult, parse_accounts
from hotline.cli.context import settings_of
from hotline.cli.support import run_with_db
from hotline.store.accounts import AccountRecord, AccountStore, ReadingStore
from hotline.store.db import Database

app = typer.Typer(no_args_is_help=True, help=__doc__)

EXIT_BAD_FILE: Final = 1
EXIT_NOT_FOUND: Final = 1
# Rows shown in the report; the rest are counted.
MAX_SHOWN_ERRORS: Final = 200


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV or XLSX, one row per meter (see README).")],
    skip_bad: Annotated[
        bool,
        typer.Option("--skip-bad", help="Import the good accounts and leave out the bad ones."),
    ] = False,
    encoding: Annotated[
        str, typer.Option(help="CSV encoding: auto (UTF-8, else cp1251), utf-8 or cp1251.")
    ] = "auto",
) -> None:
    """Create or update accounts from a billing file.  Any bad row: nothing changes (unless
    --skip-bad), and every problem is listed by row and column."""
    settings = settings_of(ctx)
    if encoding not in ("auto", "utf-8", "cp1251"):
        typer.echo(f"accounts import: unknown encoding {encoding!r}", err=True)
        raise typer.Exit(EXIT_BAD_FILE)
    if not file.is_file():
        typer.echo(f"accounts import: no such file: {file}", err=True)
        raise typer.Exit(EXIT_BAD_FILE)
    err = Console(stderr=True)

    async def work(db: Database) -> tuple[ImportResult, tuple[int, int] | None]:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as progress:
            reading = progress.add_task("reading rows", total=None)
            result = await asyncio.to_thread(
                parse_accounts,
                file,
                settings.accounts,
                settings.readings,
                encoding=_encoding(encoding),
                progress=lambda done, total: progress.update(reading, completed=done, total=total),
            )
            if result.errors and not skip_bad:
                return result, None
            writing = progress.add_task("saving accounts", total=len(result.accounts))
            counts = await AccountStore(db).upsert(
                result.accounts, progress=lambda done: progress.update(writing, completed=done)
            )
            return result, counts

    try:
        result, counts = run_with_db(settings, work, command="accounts", errors=())
    except ImportFileError as exc:
        typer.echo(f"accounts import: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_FILE) from exc
    _report_errors(result)
    if counts is None:
        typer.echo(
            f"{len(result.errors)} problem(s) in {file.name}: nothing imported "
            "(fix the file, or --skip-bad to import the good accounts)",
            err=True,
        )
        raise typer.Exit(EXIT_BAD_FILE)
    created, updated = counts
    bad_rows = len({e.row for e in result.errors})
    skipped = (
        f", {len(result.skipped_accounts)} accounts and {bad_rows} rows with problems skipped"
        if result.errors
        else ""
    )
    typer.echo(f"{result.rows} rows: {created} accounts created, {updated} updated{skipped}")


def _encoding(value: str) -> Encoding:
    if value == "utf-8":
        return "utf-8"
    if value == "cp1251":
        return "cp1251"
    return "auto"


def _report_errors(result: ImportResult) -> None:
    """One line per problem ("row 7, column balance: ..."), easy to read and to grep."""
    for error in result.errors[:MAX_SHOWN_ERRORS]:
        typer.echo(str(error), err=True)
    if len(result.errors) > MAX_SHOWN_ERRORS:
        typer.echo(f"... and {len(result.errors) - MAX_SHOWN_ERRORS} more", err=True)


@app.command()
def show(
    ctx: typer.Context, number: Annotated[str, typer.Argument(help="The account number.")]
) -> None:
    """Print one account: contact, balance, meters, and the readings taken by phone."""
    settings = settings_of(ctx)

    async def work(db: Database) -> tuple[AccountRecord | None, list[str]]:
        account = await AccountStore(db).get(number)
        history = await ReadingStore(db).history(number)
        lines = [
            f"  {r.taken_at:%Y-%m-%d %H:%M} UTC  {r.label}  period {r.period}  "
            f"+{r.consumption} kWh  {','.join(r.flags) or '-'}"
            + ("  (superseded)" if r.superseded_by is not None else "")
            for r in history
        ]
        return account, lines

    account, history = run_with_db(settings, work, command="accounts", errors=())
    if account is None:
        typer.echo(f"no account {number}", err=True)
        raise typer.Exit(EXIT_NOT_FOUND)
    out = Console(highlight=False)
    out.print(f"Account   {account.number}")
    out.print(f"Name      {account.name or '-'}")
    out.print(f"Address   {account.address or '-'}")
    out.print(f"Phones    {', '.join(account.phones) or '-'}")
    out.print(f"Time zone {account.timezone}")
    if account.balance >= 0:
        out.print(f"Debt      {account.balance:.2f} RUB, due {account.due_date or '-'}")
    else:
        out.print(f"Overpaid  {-account.balance:.2f} RUB")
    if account.last_payment is not None:
        out.print(
            f"Last paid {account.last_payment:.2f} RUB on {account.last_payment_date or '-'}"
        )
    out.print(f"Average   {account.avg_monthly_kwh or '-'} kWh/month")
    for meter in account.meters:
        last = " / ".join("-" if v is None else str(v) for v in meter.last)
        out.print(
            f"Meter     {meter.meter_id}: {meter.zones} zone(s), {meter.digits} digits, "
            f"last {last} on {meter.last_date or '-'}"
        )
    out.print(f"Readings by phone: {len(history)}")
    for line in history:
        out.print(line)
