"""hotline survey coverage: R-105's yearly coverage of the target group (``coverage.target``,
``coverage.window_months``): the report, a survey campaign from the customers not surveyed
within the window, and a monthly schedule that builds one automatically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError

from dialer import coverage
from dialer.model import CampaignRules
from dialer.repository.coverage import Coverage
from dialer.repository.schedules import ScheduleRecord
from hotline.cli.context import settings_of
from hotline.cli.dialer_support import ByOpt, actor, run_dialer
from hotline.cli.support import EXIT_FAILED
from hotline.core import spreadsheets as tabular
from hotline.store.db import Database

app = typer.Typer(no_args_is_help=True, help=__doc__)
coverage_app = typer.Typer(help="R-105: every customer surveyed at least once in the window.")
app.add_typer(coverage_app, name="coverage")

RulesOpt = Annotated[Path | None, typer.Option("--rules", help="Rules YAML (see README).")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"survey: {message}", err=True)
    return typer.Exit(EXIT_FAILED)


def _rules(path: Path | None) -> CampaignRules:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path else {}
        return CampaignRules.model_validate(data or {})
    except (ValidationError, OSError, yaml.YAMLError) as exc:
        raise _fail(str(exc)) from exc


@coverage_app.callback(invoke_without_command=True)
def show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the report to a .csv or .xlsx file.")
    ] = None,
) -> None:
    """The coverage now: the target group, surveyed within the window, never surveyed,
    overdue, due within a month, and by the month each covered customer falls due."""
    if ctx.invoked_subcommand is not None:
        return
    settings = settings_of(ctx)
    if out is not None and out.suffix.lower() not in (".csv", ".xlsx"):
        raise _fail(f"{out}: a .csv or .xlsx file")

    async def work(db: Database) -> Coverage:
        return await coverage.report(db, settings)

    result = run_dialer(ctx, work)
    if out is not None:
        sheets = coverage.sheets(result)
        data = tabular.to_csv(sheets) if out.suffix.lower() == ".csv" else tabular.to_xlsx(sheets)
        out.write_bytes(data)
    if as_json:
        months = {m.month: m.count for m in result.months}
        figures = {
            "group": result.group,
            "covered": result.covered,
            "never": result.never,
            "overdue": result.overdue,
            "due_soon": result.due_soon,
            "percent": result.percent,
            "window_months": result.window_months,
            "months": months,
        }
        typer.echo(json.dumps(figures, ensure_ascii=False))
        return
    typer.echo(
        f"target group: {result.group} accounts; surveyed within {result.window_months} months: "
        f"{result.covered} ({result.percent} %)"
    )
    typer.echo(f"never surveyed: {result.never}; overdue: {result.overdue}")
    typer.echo(f"due within a month: {result.due_soon}")
    for month in result.months:
        typer.echo(f"  {month.month}: {month.count} fall due")


@coverage_app.command("campaign")
def campaign(
    ctx: typer.Context,
    name: str,
    scenario: Annotated[str, typer.Option("--scenario", help="A survey scenario.")],
    rules: RulesOpt = None,
    by: ByOpt = None,
) -> None:
    """Create a survey campaign (a draft: approve and start it as any campaign) calling the
    target group's customers not surveyed within the window."""
    settings = settings_of(ctx)
    parsed = _rules(rules)

    async def work(db: Database) -> dict[str, Any]:
        return await coverage.create_campaign(
            db, settings, name, scenario, actor(by), rules=parsed
        )

    detail = run_dialer(ctx, work)
    typer.echo(
        f"campaign {name}: {detail['contacts']} customers not surveyed within "
        f"{settings.coverage.window_months} months; approve and start it"
    )
    for problem in detail.get("bad_rows", []):
        typer.echo(f"  {problem}")


@coverage_app.command("schedule")
def schedule(
    ctx: typer.Context,
    name: str,
    scenario: Annotated[str, typer.Option("--scenario", help="A survey scenario.")],
    day: Annotated[int, typer.Option("--day", help="Day of the month (31: the last).")],
    rules: RulesOpt = None,
    run_days: Annotated[
        int | None, typer.Option("--run-days", help="End each campaign after N days.")
    ] = None,
    by: ByOpt = None,
) -> None:
    """Every month on DAY, a survey campaign of the customers not surveyed within the window
    (shown by ``hotline campaign schedule list`` and on the campaign calendar)."""
    settings = settings_of(ctx)
    parsed = _rules(rules)

    async def work(db: Database) -> ScheduleRecord:
        return await coverage.add_schedule(
            db, settings, name, scenario, day, actor(by), rules=parsed, run_days=run_days
        )

    added = run_dialer(ctx, work)
    typer.echo(
        f"schedule {added.name}: day {added.day_of_month}, {added.account_filter.describe()}"
    )
