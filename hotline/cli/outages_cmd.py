"""hotline outages: current outages (R-097, R-032).  The dispatcher or a supervisor registers
one with its area (settlements and streets, or accounts), cause and expected restoration
time; identified callers whose address is in it hear it right after the greeting."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Final
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from hotline.access.users import Permission, allowed
from hotline.cli.context import settings_of
from hotline.cli.support import current_user, run_with_db
from hotline.contact_center.outages import close, parse_place, register
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.outages import OutageRecord, OutageStore, Place
from hotline.store.users import UserStore

app = typer.Typer(no_args_is_help=True, help=__doc__)

EXIT_BAD_VALUE: Final = 2

ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Who registers it: a dispatcher or a supervisor (default: $USER)."),
]


async def check_author(db: Database, by: str) -> None:
    """Once console users exist, only a user allowed to handle outages (dispatcher,
    supervisor, admin) registers or closes one; on a fresh install the name is taken as
    given (as for campaign approvals)."""
    users = UserStore(db)
    if not await users.all():
        return
    user = await users.get(by)
    if user is None or user.disabled or not allowed(user.role, Permission.OUTAGES):
        raise ValueError(
            f"{by} may not register outages (needs a dispatcher's or supervisor's role)"
        )


def _restore_at(text: str, zone: ZoneInfo) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"not a date and time (YYYY-MM-DD HH:MM): {text!r}") from exc
    return when if when.tzinfo is not None else when.replace(tzinfo=zone)


@app.command()
def add(
    ctx: typer.Context,
    cause: Annotated[str, typer.Option("--cause", "-c", help="The cause, as callers hear it.")],
    restore: Annotated[
        str,
        typer.Option(
            "--restore",
            "-r",
            metavar="YYYY-MM-DD HH:MM",
            help="Expected restoration time (in hours.timezone unless a zone is given).",
        ),
    ],
    place: Annotated[
        list[str] | None,
        typer.Option(
            "--place",
            "-p",
            help='A settlement, or "settlement, street"; repeat for more.',
        ),
    ] = None,
    account: Annotated[
        list[str] | None, typer.Option("--account", "-a", help="An account; repeat for more.")
    ] = None,
    by: ByOption = None,
) -> None:
    """Register a current outage."""
    settings = settings_of(ctx)
    when = _restore_at(restore, ZoneInfo(settings.hours.timezone))
    try:
        places: list[Place] = [parse_place(p) for p in place or []]
    except ValueError as exc:
        typer.echo(f"outages: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_VALUE) from exc
    who = Actor(by or current_user(), "cli")

    async def work(db: Database) -> OutageRecord:
        await check_author(db, who.name)
        return await register(
            db, cause=cause, restore_at=when, places=places, accounts=account or [], by=who
        )

    outage = run_with_db(settings, work, command="outages")
    typer.echo(f"outage {outage.id} registered")
    _print([outage], ZoneInfo(settings.hours.timezone))


@app.command("close")
def close_cmd(
    ctx: typer.Context,
    outage_id: Annotated[int, typer.Argument(metavar="ID")],
    by: ByOption = None,
) -> None:
    """Close an outage: callers no longer hear it."""
    settings = settings_of(ctx)
    who = Actor(by or current_user(), "cli")

    async def work(db: Database) -> OutageRecord | None:
        await check_author(db, who.name)
        return await close(db, outage_id, who)

    outage = run_with_db(settings, work, command="outages")
    if outage is None:
        typer.echo(f"outages: no outage {outage_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"outage {outage.id} closed")


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Closed ones too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Open outages (newest first)."""
    settings = settings_of(ctx)

    async def work(db: Database) -> list[OutageRecord]:
        return await OutageStore(db).list(open_only=not all_)

    found = run_with_db(settings, work, command="outages")
    if as_json:
        typer.echo(json.dumps([o.to_dict() for o in found], ensure_ascii=False, indent=2))
        return
    if not found:
        typer.echo("no open outages" if not all_ else "no outages")
        return
    _print(found, ZoneInfo(settings.hours.timezone))


def _print(found: list[OutageRecord], zone: ZoneInfo) -> None:
    table = Table("ID", "Area", "Cause", "Restore", "Opened", "Closed")
    for o in found:
        area = "; ".join(p.label() for p in o.places)
        if o.accounts:
            area = (area + "; " if area else "") + f"{len(o.accounts)} accounts"
        table.add_row(
            str(o.id),
            area,
            o.cause,
            _local(o.restore_at, zone),
            f"{_local(o.opened_at, zone)} ({o.opened_by})",
            f"{_local(o.closed_at, zone)} ({o.closed_by})" if o.closed_at else "",
        )
    Console(width=200).print(table)


def _local(when: datetime, zone: ZoneInfo) -> str:
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M")
