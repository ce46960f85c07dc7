"""hotline appeals: the appeal register (issue 16): list with filters, show one with its
history, export the register and its counts (received, answered in time, late, overdue) as
CSV or XLSX.  Once console users exist, the person at the keyboard ($USER or --by) sees what
their role allows (personal data R-139, trust-service appeals R-121); every view is audited."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Final
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from hotline.access.users import Permission, allowed
from hotline.appeals.register import Appeals, Viewer
from hotline.appeals.report import GROUPINGS, counts_sheet, register_stream
from hotline.cli.context import settings_of
from hotline.cli.export_files import Counted, write_stream
from hotline.cli.support import current_user, run_with_db
from hotline.core.spreadsheets import SheetStream, csv_stream, xlsx_stream
from hotline.settings import Settings
from hotline.store.appeals import AppealFilter, AppealRecord
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.enums import AppealChannel, AppealStatus
from hotline.store.users import UserStore

app = typer.Typer(no_args_is_help=True, help=__doc__)

EXIT_BAD_VALUE: Final = 2

ByOption = Annotated[
    str | None, typer.Option("--by", help="Who looks: a console user (default: $USER).")
]
Since = Annotated[str | None, typer.Option("--since", metavar="YYYY-MM-DD")]
Until = Annotated[str | None, typer.Option("--until", metavar="YYYY-MM-DD", help="Included.")]
StatusOpt = Annotated[AppealStatus | None, typer.Option("--status")]
ChannelOpt = Annotated[AppealChannel | None, typer.Option("--channel")]
CategoryOpt = Annotated[str | None, typer.Option("--category")]
UnitOpt = Annotated[str | None, typer.Option("--unit")]


async def viewer(db: Database, name: str) -> Viewer:
    """The person at the keyboard as the register sees them: on a fresh install (no console
    users) everything, as for other CLI operations; otherwise by their role."""
    actor = Actor(name, "cli")
    users = UserStore(db)
    if not await users.all():
        return Viewer(actor, personal_data=True, trust=True)
    user = await users.get(name)
    if user is None or user.disabled or not allowed(user.role, Permission.APPEALS):
        raise ValueError(f"{name} may not read appeals (needs a role with appeals)")
    return Viewer(
        actor,
        personal_data=allowed(user.role, Permission.APPEALS_PERSONAL),
        trust=allowed(user.role, Permission.APPEALS_TRUST),
    )


def _where(
    settings: Settings,
    since: str | None,
    until: str | None,
    status: AppealStatus | None,
    category: str | None,
    channel: AppealChannel | None,
    unit: str | None,
) -> AppealFilter:
    zone = ZoneInfo(settings.hours.timezone)

    def day(text: str | None) -> datetime | None:
        if text is None:
            return None
        try:
            return datetime.fromisoformat(text).replace(tzinfo=zone)
        except ValueError as exc:
            raise typer.BadParameter(f"not a date (YYYY-MM-DD): {text!r}") from exc

    last = day(until)
    return AppealFilter(
        since=day(since),
        until=last + timedelta(days=1) if last is not None else None,
        status=status,
        category=category,
        channel=channel,
        unit=unit,
    )


def _register(db: Database, settings: Settings) -> Appeals:
    return Appeals(db, settings.appeals, settings.hours.timezone)


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    since: Since = None,
    until: Until = None,
    status: StatusOpt = None,
    category: CategoryOpt = None,
    channel: ChannelOpt = None,
    unit: UnitOpt = None,
    by: ByOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Appeals, newest first."""
    settings = settings_of(ctx)
    where = _where(settings, since, until, status, category, channel, unit)

    async def work(db: Database) -> list[AppealRecord]:
        return await _register(db, settings).list(where, await viewer(db, by or current_user()))

    found = run_with_db(settings, work, command="appeals")
    if as_json:
        typer.echo(json.dumps([a.to_dict() for a in found], ensure_ascii=False, indent=2))
        return
    if not found:
        typer.echo("no appeals")
        return
    zone = ZoneInfo(settings.hours.timezone)
    table = Table("Number", "Registered", "Channel", "Category", "Unit", "Status", "Due", "Phone")
    for a in found:
        table.add_row(
            a.number,
            a.registered_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            a.channel.value,
            f"{a.category}/{a.topic}",
            a.unit,
            a.status.value,
            a.deadline.isoformat(),
            a.phone or "",
        )
    Console(width=200).print(table)


@app.command()
def show(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(metavar="NUMBER", help="e.g. 2026-004217")],
    by: ByOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One appeal with its history and links."""
    settings = settings_of(ctx)

    async def work(db: Database) -> AppealRecord | None:
        return await _register(db, settings).view(number, await viewer(db, by or current_user()))

    found = run_with_db(settings, work, command="appeals")
    if found is None:
        typer.echo(f"appeals: no appeal {number}", err=True)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps(found.to_dict(), ensure_ascii=False, indent=2))
        return
    data = found.to_dict()
    for key in ("number", "status", "channel", "category", "topic", "subject", "urgency"):
        typer.echo(f"{key}: {data[key]}")
    for key in ("unit", "deadline", "account", "phone", "customer_name", "reply_channel"):
        typer.echo(f"{key}: {data[key] or ''}")
    typer.echo(f"text: {found.text}")
    for kind, ref in found.links:
        typer.echo(f"{kind.value}: {ref}")
    typer.echo("history:")
    for e in found.history:
        typer.echo(f"  {e.at.isoformat(timespec='seconds')} {e.status.value} {e.by} {e.note}")


@app.command()
def export(
    ctx: typer.Context,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write CSV (Russian Excel).")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write an XLSX workbook.")] = None,
    group: Annotated[
        str, typer.Option("--group", help=f"Counts by: {', '.join(GROUPINGS)}.")
    ] = "category",
    since: Since = None,
    until: Until = None,
    status: StatusOpt = None,
    category: CategoryOpt = None,
    channel: ChannelOpt = None,
    unit: UnitOpt = None,
    by: ByOption = None,
) -> None:
    """The register and its counts (R-142, R-144, R-145) as CSV and/or XLSX."""
    if csv is None and xlsx is None:
        typer.echo("appeals: give --csv FILE and/or --xlsx FILE", err=True)
        raise typer.Exit(EXIT_BAD_VALUE)
    if group not in GROUPINGS:
        typer.echo(f"appeals: --group is one of {', '.join(GROUPINGS)}", err=True)
        raise typer.Exit(EXIT_BAD_VALUE)
    settings = settings_of(ctx)
    where = _where(settings, since, until, status, category, channel, unit)

    async def work(db: Database) -> int:
        register = _register(db, settings)
        who = await viewer(db, by or current_user())
        exported = 0
        # Each file is its own pass over the register, written as the pages are read.
        for target, stream in ((csv, csv_stream), (xlsx, xlsx_stream)):
            if target is None:
                continue
            counts = await register.counts(where, group, who)
            pages = Counted(register.pages(where, who))
            sheets = [register_stream(pages), SheetStream.of(counts_sheet(group, counts))]
            await write_stream(stream(sheets), target)
            exported = pages.count
        return exported

    exported = run_with_db(settings, work, command="appeals")
    typer.echo(f"{exported} appeals exported")
