"""hotline hours: operator hours (weekly schedule + Russian production calendar + overrides).

Dates are local dates in ``hours.timezone``; hours are "HH:MM-HH:MM" (a day with a break:
"09:00-13:00,14:00-17:00") or "closed".
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Annotated, Final, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.table import Table

from hotline.cli.context import settings_of
from hotline.cli.support import EXIT_FAILED, current_user, run_with_db
from hotline.contact_center.hours import CLOSED, HoursError, OperatorHours, Override
from hotline.contact_center.schedule import CalendarOverrides, load_operator_hours, override_of
from hotline.settings import Settings
from hotline.store.calendar import OverrideRecord
from hotline.store.db import Database

app = typer.Typer(no_args_is_help=True, help=__doc__)

EXIT_BAD_VALUE: Final = 2
WIDE: Final = 200
CLOSED_WORD: Final = "closed"

DateArgument = Annotated[str, typer.Argument(metavar="DATE", help="YYYY-MM-DD (local date).")]
ByOption = Annotated[
    str | None, typer.Option("--by", help="Who makes the change (default: $USER).")
]


@app.command()
def show(
    ctx: typer.Context,
    days: Annotated[int, typer.Option("--days", "-d", min=1, max=366, help="How many.")] = 14,
    start: Annotated[
        str | None, typer.Option("--from", metavar="DATE", help="First day (default: today).")
    ] = None,
) -> None:
    """The coming days: operator hours and why (schedule, holiday, working day, override)."""
    settings = settings_of(ctx)
    zone = _zone(settings)
    first = _date(start) if start is not None else datetime.now(zone).date()
    last = first + timedelta(days=days - 1)

    async def work(db: Database) -> dict[date, OverrideRecord]:
        return {r.day: r for r in await CalendarOverrides(db).list(first, last)}

    records = run_with_db(settings, work, command="hours", errors=())
    hours = _hours(settings, {day: override_of(record) for day, record in records.items()})
    today = datetime.now(zone).date()
    table = Table(title=f"Operator hours ({settings.hours.timezone})")
    table.add_column("Date", no_wrap=True)
    table.add_column("Day")
    table.add_column("Hours", no_wrap=True)
    table.add_column("Why")
    for day, day_hours in hours.days(first, days):
        why = day_hours.source
        record = records.get(day)
        if record is not None and record.updated_by:
            why += f" (by {record.updated_by})"
        table.add_row(
            day.isoformat() + (" *" if day == today else ""),
            f"{day:%a}",
            str(day_hours),
            why,
        )
    _console().print(table)


@app.command()
def override(
    ctx: typer.Context,
    day: DateArgument,
    hours: Annotated[
        str,
        typer.Argument(metavar="HOURS|closed", help='"08:00-14:00", "09:00-13:00,14:00-17:00".'),
    ],
    note: Annotated[str, typer.Option("--note", "-n", help="Why (shown by `hours show`).")] = "",
    by: ByOption = None,
) -> None:
    """Set one day's operator hours by hand (regional holiday, shortened day, closure)."""
    settings = settings_of(ctx)
    when = _date(day)
    text = CLOSED if hours.strip().lower() == CLOSED_WORD else hours

    async def work(db: Database) -> OverrideRecord:
        return await CalendarOverrides(db).set(when, text, note, by=by or current_user())

    try:
        record = run_with_db(settings, work, command="hours", errors=())
    except (HoursError, ValueError) as exc:
        typer.echo(f"hours: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_VALUE) from exc
    day_hours = _hours(settings, {when: override_of(record)}).hours_on(when)
    typer.echo(f"{when.isoformat()} {when:%a}: {day_hours} ({day_hours.source})")


@app.command()
def clear(ctx: typer.Context, day: DateArgument) -> None:
    """Remove one day's override: the calendar and the weekly schedule apply again."""
    settings = settings_of(ctx)
    when = _date(day)

    async def work(db: Database) -> bool:
        return await CalendarOverrides(db).remove(when)

    if not run_with_db(settings, work, command="hours", errors=()):
        typer.echo(f"hours: no override on {when.isoformat()}", err=True)
        raise typer.Exit(EXIT_FAILED)
    day_hours = _hours(settings, {}).hours_on(when)
    typer.echo(f"{when.isoformat()} {when:%a}: {day_hours} ({day_hours.source})")


@app.command()
def now(
    ctx: typer.Context,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="DATETIME",
            help="Ask about another moment: ISO 8601; without an offset, in hours.timezone.",
        ),
    ] = None,
) -> None:
    """Whether the operators are working now, until when, or when they open next."""
    settings = settings_of(ctx)
    zone = _zone(settings)
    moment = _moment(at, zone) if at is not None else datetime.now(zone)

    async def work(db: Database) -> OperatorHours:
        try:
            return await load_operator_hours(db, settings.hours, now=moment)
        except HoursError as exc:
            _settings_error(exc)

    hours = run_with_db(settings, work, command="hours", errors=())
    local = hours.local(moment)
    today = hours.hours_on(local.date())
    typer.echo(f"{_stamp(local)} ({settings.hours.timezone}); today {today} ({today.source})")
    closes = hours.closing_today(moment)
    if closes is not None:
        typer.echo(f"open: operators work until {closes:%H:%M}")
        return
    opens = hours.next_opening(moment)
    if opens is None:
        typer.echo("closed: no opening within 31 days")
        return
    why = hours.hours_on(opens.date()).source
    typer.echo(f"closed: next opening {_stamp(opens)} ({why})")


def _hours(settings: Settings, overrides: Mapping[date, Override]) -> OperatorHours:
    try:
        return OperatorHours(settings.hours, overrides)
    except HoursError as exc:
        _settings_error(exc)


def _settings_error(exc: HoursError, cause: BaseException | None = None) -> NoReturn:
    typer.echo(f"hours: bad settings: {exc}", err=True)
    raise typer.Exit(EXIT_BAD_VALUE) from cause or exc


def _zone(settings: Settings) -> ZoneInfo:
    try:
        return ZoneInfo(settings.hours.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        name = settings.hours.timezone
        _settings_error(HoursError(f"hours.timezone: unknown time zone {name!r}"), exc)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        typer.echo(f"hours: bad date {text!r}: expected YYYY-MM-DD", err=True)
        raise typer.Exit(EXIT_BAD_VALUE) from exc


def _moment(text: str, zone: ZoneInfo) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        typer.echo(f"hours: bad time {text!r}: expected ISO 8601, e.g. 2026-01-09T10:30", err=True)
        raise typer.Exit(EXIT_BAD_VALUE) from exc
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _stamp(at: datetime) -> str:
    return f"{at:%a %Y-%m-%d %H:%M %z}"


def _console() -> Console:
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # Piped or redirected: rich would assume 80 columns and wrap the reasons.
        console = Console(width=WIDE)
    return console
