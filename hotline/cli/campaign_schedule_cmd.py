"""hotline campaign schedule: campaigns repeating monthly (a debt reminder on the 20th),
built by the engine on their day from the accounts table with a filter; add, list, remove,
and run-now (build this month's campaign at once)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from dialer import scheduled
from dialer.model import CampaignRules
from dialer.repository.schedules import RunRecord, ScheduleRecord, Schedules
from dialer.schedule import ScheduleError, parse_filter
from hotline.cli.context import settings_of
from hotline.cli.dialer_support import ByOpt, actor, run_dialer
from hotline.cli.support import EXIT_FAILED
from hotline.core.clock import utc_now
from hotline.core.vocabulary import label
from hotline.store.db import Database

app = typer.Typer(no_args_is_help=True, help=__doc__)

_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"campaign: {message}", err=True)
    return typer.Exit(EXIT_FAILED)


@app.command()
def add(
    ctx: typer.Context,
    name: str,
    scenario: Annotated[str, typer.Option("--scenario", help="Scenario name.")],
    day: Annotated[int, typer.Option("--day", help="Day of the month (31: the last).")],
    min_debt: Annotated[
        Decimal | None, typer.Option("--min-debt", help="Debt above this many roubles.")
    ] = None,
    due_passed: Annotated[
        bool, typer.Option("--due-passed", help="Only accounts past their due date.")
    ] = False,
    timezone: Annotated[
        list[str] | None, typer.Option("--timezone", help="Region: accounts in this zone.")
    ] = None,
    prefix: Annotated[
        list[str] | None,
        typer.Option("--prefix", help="Unit: account numbers starting with this."),
    ] = None,
    without_phone: Annotated[
        bool,
        typer.Option("--include-without-phone", help="Report accounts without a phone too."),
    ] = False,
    rules: Annotated[Path | None, typer.Option("--rules", help="Rules YAML (see README).")] = None,
    run_days: Annotated[
        int | None, typer.Option("--run-days", help="End each campaign after N days.")
    ] = None,
    scenario_version: Annotated[
        int | None, typer.Option("--scenario-version", help="Default: the latest.")
    ] = None,
    by: ByOpt = None,
) -> None:
    """A campaign built every month on DAY from the accounts the filter picks; approved in
    the name of the supervisor who adds it (--by)."""
    try:
        where = parse_filter(
            {
                "min_debt": min_debt,
                "due_passed": due_passed,
                "timezones": timezone or (),
                "number_prefixes": prefix or (),
                "has_phone": not without_phone,
            }
        )
        parsed = CampaignRules.model_validate(
            yaml.safe_load(rules.read_text(encoding="utf-8")) if rules else {}
        )
    except (ScheduleError, ValidationError, OSError, yaml.YAMLError) as exc:
        raise _fail(str(exc)) from exc

    async def work(db: Database) -> ScheduleRecord:
        return await scheduled.add(
            db,
            name,
            scenario,
            day,
            where,
            parsed,
            actor(by),
            scenario_version=scenario_version,
            run_days=run_days,
        )

    added = run_dialer(ctx, work)
    typer.echo(f"schedule {added.name}: day {added.day_of_month}, {where.describe()}")


@app.command("list")
def list_schedules(ctx: typer.Context) -> None:
    """Schedules with their next build and their last one."""
    settings = settings_of(ctx)
    today = _today(settings.hours.timezone)

    async def work(db: Database) -> tuple[list[ScheduleRecord], list[RunRecord]]:
        schedules = Schedules(db)
        return await schedules.all(), await schedules.runs()

    schedules, runs = run_dialer(ctx, work)
    table = Table("name", "day", "scenario", "accounts", "next build", "last build")
    for schedule in schedules:
        coming = scheduled.upcoming(schedule, settings, today, today + timedelta(days=62))
        last = [r for r in runs if r.schedule == schedule.name]
        table.add_row(
            schedule.name,
            str(schedule.day_of_month),
            schedule.scenario,
            schedule.account_filter.describe(),
            f"{coming[0][1]:%d.%m.%Y}" if coming else "",
            _run_text(last[-1]) if last else "",
        )
    Console().print(table)


def _run_text(run: RunRecord) -> str:
    state = label("ScheduleRunState", run.state)
    extra: Any = run.campaign or run.detail.get("error", "")
    return f"{run.period}: {state} {extra}".strip()


@app.command()
def remove(ctx: typer.Context, name: str, by: ByOpt = None) -> None:
    """Stop building it (campaigns already built stay)."""
    run_dialer(ctx, lambda db: scheduled.remove(db, name, actor(by)))
    typer.echo(f"schedule {name} removed")


@app.command("run-now")
def run_now(
    ctx: typer.Context,
    name: str,
    period: Annotated[
        str | None, typer.Option("--period", help="YYYY-MM (default: this month).")
    ] = None,
    by: ByOpt = None,
) -> None:
    """Build the month's campaign now, unless it was built already (a failed build is
    tried again)."""
    settings = settings_of(ctx)
    today = _today(settings.hours.timezone)
    month = period or f"{today:%Y-%m}"
    if not _PERIOD.fullmatch(month):
        raise _fail(f"bad period {month!r}: YYYY-MM")

    async def work(db: Database) -> scheduled.BuildResult | None:
        schedule = await Schedules(db).get(name)
        # A month whose build failed is built again (what it left behind is resumed).
        return await scheduled.build(db, settings, schedule, month, today, actor(by), retry=True)

    result = run_dialer(ctx, work)
    if result is None:
        raise _fail(f"schedule {name}: {month} was built already")
    typer.echo(f"schedule {name} {month}: {label('ScheduleRunState', result.state)}")
    if result.campaign:
        typer.echo(f"  campaign {result.campaign} running ({result.detail['contacts']} contacts)")
    for problem in result.detail.get("bad_rows", []):
        typer.echo(f"  {problem}")
    if "error" in result.detail:
        raise _fail(str(result.detail["error"]))


def _today(zone: str) -> date:
    return utc_now().astimezone(ZoneInfo(zone)).date()
