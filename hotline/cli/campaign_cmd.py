"""hotline campaign: outbound autoinformer campaigns (debt, planned outage, tariff change):
create, import contacts, approve (by someone other than the author), start, pause, resume,
stop; live status, why contacts wait, and the report.  The engine (`hotline run`) dials."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from dialer import operations
from dialer.limits import LIMIT_CPS, LIMIT_GAP, LIMIT_TRUNK
from dialer.model import CampaignRules, Reason
from dialer.report import (
    CampaignReport,
    WhyRow,
    report_csv_files,
    report_xlsx,
    status,
    why,
)
from dialer.repository import CampaignError, DialerStore
from hotline.access.users import LoginOutcome, Users
from hotline.cli.campaign_schedule_cmd import app as schedule_app
from hotline.cli.context import settings_of
from hotline.cli.dialer_support import ByOpt, actor, run_dialer
from hotline.cli.support import EXIT_FAILED
from hotline.core.clock import utc_now
from hotline.core.vocabulary import label
from hotline.settings import WebSettings
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.users import UserStore

app = typer.Typer(no_args_is_help=True, help=__doc__)
app.add_typer(schedule_app, name="schedule", help="Campaigns repeating monthly.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise typer.BadParameter(f"{text}: give a time zone offset, e.g. 2026-12-01T10:00+03:00")
    return value


@app.command()
def create(
    ctx: typer.Context,
    name: str,
    scenario: Annotated[str, typer.Option("--scenario", help="Scenario name.")],
    scenario_version: Annotated[
        int | None, typer.Option("--scenario-version", help="Default: the latest.")
    ] = None,
    starts: Annotated[str | None, typer.Option("--starts", help="ISO time with offset.")] = None,
    ends: Annotated[str | None, typer.Option("--ends", help="ISO time with offset.")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="Rules YAML (see README).")] = None,
    by: ByOpt = None,
) -> None:
    """A new campaign (draft) on a scenario version."""
    try:
        parsed = CampaignRules.model_validate(
            yaml.safe_load(rules.read_text(encoding="utf-8")) if rules else {}
        )
    except (ValidationError, OSError, yaml.YAMLError) as exc:
        typer.echo(f"campaign: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc

    async def work(db: Database) -> None:
        await operations.create(
            db,
            name,
            scenario,
            parsed,
            actor(by),
            scenario_version=scenario_version,
            starts_at=_moment(starts),
            ends_at=_moment(ends),
            sms=settings_of(ctx).sms,
        )

    run_dialer(ctx, work)
    typer.echo(f"campaign {name} created (draft): import contacts, then get it approved")


@app.command("import")
def import_contacts(
    ctx: typer.Context,
    name: str,
    file: Path,
    list_name: Annotated[
        str | None, typer.Option("--list", help="Default: the file name.")
    ] = None,
    by: ByOpt = None,
) -> None:
    """Import the contact list (CSV or XLSX): all rows or nothing; a report by row."""
    settings = settings_of(ctx)

    async def work(db: Database) -> dict[str, Any]:
        report = await operations.check_contacts(db, settings, name, file)
        if report.ok:
            await operations.attach_contacts(
                db, name, list_name or file.stem, str(file), report, actor(by)
            )
        return report.summary()

    summary = run_dialer(ctx, work)
    for line in summary["duplicates"]:
        typer.echo(f"duplicate removed: {line}")
    for line in summary["do_not_call"]:
        typer.echo(f"do-not-call removed: {line}")
    for line in summary["dropped"]:
        typer.echo(f"dropped: {line}")
    for line in summary["emails_unused"]:
        typer.echo(f"e-mail not used: {line}")
    for line in summary["errors"]:
        typer.echo(f"error: {line}", err=True)
    if summary["errors"]:
        typer.echo(f"{len(summary['errors'])} error(s): nothing imported", err=True)
        raise typer.Exit(EXIT_FAILED)
    typer.echo(f"{summary['imported']} contact(s) imported of {summary['rows']} row(s)")


PasswordFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        help="Read the approver's console password from this file (default: prompted).",
    ),
]


async def _verified_approver(db: Database, web: WebSettings, name: str, password: str) -> Actor:
    """The approver as a console user whose password checks out (the console's lock-out
    applies); a name alone proves nothing."""
    result = await Users(db, web).authenticate(name, password, "cli")
    if result.outcome is not LoginOutcome.OK or result.user is None:
        raise CampaignError(
            f"{name} may not approve: the console password did not check out "
            f"({result.outcome.value}); approval needs a console user's password"
        )
    return Actor(result.user.name, "cli")


def effective_os_user() -> str:
    """The OS account this process runs as, from its effective uid (``$USER`` and
    ``$LOGNAME``, which anyone can set, are not asked)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # no passwd entry: the uid is all there is, and maps to nobody
        return f"uid:{os.geteuid()}"


async def _mapped_approver(db: Database, name: str, os_user: str) -> Actor:
    """The console user ``os_user`` is mapped to, if it exists and is enabled; the audit
    names the OS user as the source."""
    user = await UserStore(db).get(name)
    if user is None or user.disabled:
        raise CampaignError(
            f"OS user {os_user} is mapped to console user {name!r} (dialer.os_approvers), "
            "which does not exist or is disabled"
        )
    return Actor(user.name, "cli", source=f"os-user:{os_user}")


@app.command()
def approve(
    ctx: typer.Context, name: str, by: ByOpt = None, password_file: PasswordFileOpt = None
) -> None:
    """Approve a campaign (its scenario and list as they are); not by its author nor by whoever
    attached the list.  The approver proves who they are with their console password."""
    settings = settings_of(ctx)
    os_user = effective_os_user()
    mapped = settings.dialer.os_approvers.get(os_user)
    if password_file is None and mapped is not None and by in (None, mapped):
        # The OS account is the proof (dialer.os_approvers): no password is asked.
        async def as_mapped(db: Database) -> Any:
            verified = await _mapped_approver(db, mapped, os_user)
            return await operations.approve(db, name, verified)

        info = run_dialer(ctx, as_mapped)
        typer.echo(f"campaign {name} approved by {info.approved_by} (OS user {os_user})")
        return
    approver = actor(by).name
    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            typer.echo(f"campaign: {exc}", err=True)
            raise typer.Exit(EXIT_FAILED) from exc
        password = lines[0] if lines else ""
    else:
        password = typer.prompt(f"Console password of {approver}", hide_input=True)
    web = settings_of(ctx).web

    async def work(db: Database) -> Any:
        verified = await _verified_approver(db, web, approver, password)
        return await operations.approve(db, name, verified)

    info = run_dialer(ctx, work)
    typer.echo(f"campaign {name} approved by {info.approved_by}")


def _transition(ctx: typer.Context, name: str, action: str, by: str | None) -> None:
    async def work(db: Database) -> None:
        zone = settings_of(ctx).hours.timezone
        await operations.transition(db, name, action, actor(by), default_zone=zone)

    run_dialer(ctx, work)


@app.command()
def start(ctx: typer.Context, name: str, by: ByOpt = None) -> None:
    """Start an approved campaign; the run keeps an immutable copy of scenario and contacts."""
    _transition(ctx, name, "start", by)
    typer.echo(f"campaign {name} running (the engine dials)")


@app.command()
def pause(ctx: typer.Context, name: str, by: ByOpt = None) -> None:
    """Pause: no new calls; calls in progress finish."""
    _transition(ctx, name, "pause", by)
    typer.echo(f"campaign {name} paused (calls in progress finish)")


@app.command()
def resume(ctx: typer.Context, name: str, by: ByOpt = None) -> None:
    _transition(ctx, name, "resume", by)
    typer.echo(f"campaign {name} running")


@app.command()
def stop(ctx: typer.Context, name: str, by: ByOpt = None) -> None:
    """Stop for good: contacts not yet reached are closed as expired."""
    _transition(ctx, name, "stop", by)
    typer.echo(f"campaign {name} stopped")


@app.command("list")
def list_campaigns(ctx: typer.Context) -> None:
    rows = run_dialer(ctx, lambda db: DialerStore(db).campaigns())
    table = Table("name", "kind", "state", "author", "approved by", "started")
    for row in rows:
        table.add_row(
            row.name,
            row.kind,
            row.state.value,
            row.author,
            row.approved_by or "",
            f"{row.started_at:%Y-%m-%d %H:%M}" if row.started_at else "",
        )
    Console().print(table)


@app.command()
def show(ctx: typer.Context, name: str) -> None:
    """A campaign: state, approval, scenario version, contact list and its import, rules."""

    async def work(db: Database) -> dict[str, Any]:
        store = DialerStore(db)
        campaign = await store.campaign(name)
        scenario = await store.scenario_by_id(campaign.scenario_id)
        contacts = await store.contact_list(campaign.list_id) if campaign.list_id else None
        return {
            "name": campaign.name,
            "kind": campaign.kind,
            "state": campaign.state.value,
            "author": campaign.author,
            "approved_by": campaign.approved_by,
            "starts_at": campaign.starts_at.isoformat() if campaign.starts_at else None,
            "ends_at": campaign.ends_at.isoformat() if campaign.ends_at else None,
            "started_at": campaign.started_at.isoformat() if campaign.started_at else None,
            "scenario": f"{scenario.name} version {scenario.version}",
            "contacts": contacts,
            "timezone": _zone_line(campaign.rules, default_zone),
            "rules": campaign.rules.model_dump(mode="json"),
        }

    default_zone = settings_of(ctx).hours.timezone
    typer.echo(yaml.safe_dump(run_dialer(ctx, work), allow_unicode=True, sort_keys=False))


def _zone_line(rules: CampaignRules, default_zone: str) -> str:
    """The zone contacts without one are called in, and whether the campaign overrides the
    installation's (R-086)."""
    zone = rules.contact_zone(default_zone)
    if rules.zone_overridden(default_zone):
        return f"{zone} (campaign override; the installation's zone is {default_zone})"
    return f"{zone} (the installation's zone)"


@app.command("set")
def set_rules(
    ctx: typer.Context,
    name: str,
    max_channels: Annotated[int | None, typer.Option("--max-channels")] = None,
    max_attempts: Annotated[int | None, typer.Option("--max-attempts")] = None,
    retry: Annotated[
        list[str] | None, typer.Option("--retry", help="reason=minutes, e.g. busy=10")
    ] = None,
) -> None:
    """Change a campaign's rules, also while it runs (the dialer re-reads them)."""

    async def work(db: Database) -> CampaignRules:
        store = DialerStore(db)
        rules = (await store.campaign(name)).rules
        update: dict[str, Any] = {}
        if max_channels is not None:
            update["max_channels"] = max_channels
        if max_attempts is not None:
            update["max_attempts"] = max_attempts
        if retry:
            delays = dict(rules.retry_minutes)
            for item in retry:
                key, _, value = item.partition("=")
                delays[Reason(key)] = None if value in ("", "never") else float(value)
            update["retry_minutes"] = delays
        new = CampaignRules.model_validate({**rules.model_dump(), **update})
        await store.set_rules(name, new)
        return new

    new = run_dialer(ctx, work)
    typer.echo(json.dumps(new.model_dump(mode="json"), ensure_ascii=False))


@app.command()
def limits(
    ctx: typer.Context,
    cps: Annotated[float | None, typer.Option("--cps", help="Global calls per second.")] = None,
    trunk_channels: Annotated[int | None, typer.Option("--trunk-channels")] = None,
    trunk: Annotated[
        str | None, typer.Option("--trunk", help="Which trunk --trunk-channels is for.")
    ] = None,
    gap: Annotated[
        float | None, typer.Option("--same-number-gap", help="Seconds between calls to a number.")
    ] = None,
    by: ByOpt = None,
) -> None:
    """Show or change the pacing limits (applied by the running engine within a tick)."""
    settings = settings_of(ctx).dialer
    if trunk is not None and trunk != settings.trunk_name and trunk not in settings.trunks:
        typer.echo(f"campaign: no trunk {trunk!r} in dialer.trunks", err=True)
        raise typer.Exit(EXIT_FAILED)
    trunk_key = LIMIT_TRUNK if trunk in (None, settings.trunk_name) else f"{LIMIT_TRUNK}:{trunk}"
    changes = {LIMIT_CPS: cps, trunk_key: trunk_channels, LIMIT_GAP: gap}

    wanted = {key: float(value) for key, value in changes.items() if value is not None}

    async def work(db: Database) -> dict[str, float]:
        if not wanted:
            return await DialerStore(db).limits()
        return await operations.set_limits(db, wanted, actor(by))

    stored = run_dialer(ctx, work)
    defaults: dict[str, float] = {
        LIMIT_CPS: settings.calls_per_second,
        LIMIT_TRUNK: settings.trunk_channels,
        LIMIT_GAP: settings.same_number_gap_seconds,
    }
    for name, extra in settings.trunks.items():
        defaults[f"{LIMIT_TRUNK}:{name}"] = extra.channels
    for key, default in defaults.items():
        source = "set" if key in stored else "settings"
        typer.echo(f"{key} = {stored.get(key, default):g} ({source})")


@app.command("status")
def show_status(
    ctx: typer.Context,
    name: str,
    as_json: JsonOpt = False,
    watch: Annotated[
        float | None,
        typer.Option("--watch", help="Print again every SECONDS until the campaign ends."),
    ] = None,
) -> None:
    """Progress, calls in flight, positive and negative counts, the estimated finish."""
    zone = settings_of(ctx).hours.timezone
    while True:
        result = run_dialer(
            ctx, lambda db: status(DialerStore(db), name, utc_now(), default_zone=zone)
        )
        data = result.to_dict()
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            _print_status(data)
        if watch is None or data["state"] not in ("running", "paused"):
            return
        time.sleep(watch)


def _print_status(data: dict[str, Any]) -> None:
    typer.echo(
        f"{data['campaign']}: {label('CampaignState', data['state'])}; "
        f"{data['done']}/{data['targets']} done, "
        f"{data['calling']} in flight, {data['pending']} pending "
        f"({data['retries_pending']} to retry); "
        f"positive {data['positive']}, negative {data['negative']}; "
        f"{data['attempts']} attempts"
    )
    for key, count in sorted(data["by_reason"].items()):
        verdict, _, reason = key.partition(":")
        typer.echo(f"  {label('Result', verdict)}: {label('Reason', reason)}: {count}")
    if data["estimated_finish"]:
        typer.echo(f"  estimated finish: {data['estimated_finish']}")


@app.command("why")
def show_why(ctx: typer.Context, name: str, as_json: JsonOpt = False) -> None:
    """Why contacts are not being dialled right now (--json: codes and parameters)."""
    settings = settings_of(ctx)
    trunk = settings.dialer.trunk_channels

    async def work(db: Database) -> list[WhyRow]:
        store = DialerStore(db)
        stored = await store.limits()
        limit = int(stored.get(LIMIT_TRUNK, trunk))
        return await why(store, name, utc_now(), limit, settings.queue.name)

    rows = run_dialer(ctx, work)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("nothing waits: every contact is done or being called")
    for row in rows:
        suffix = f" (until {row.earliest})" if row.earliest else ""
        typer.echo(f"{row.contacts:6d}  {row.waiting.text}{suffix}")


@app.command()
def report(
    ctx: typer.Context,
    name: str,
    csv_dir: Annotated[
        Path | None, typer.Option("--csv", help="Write summary/attempts/contacts CSVs here.")
    ] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write one XLSX workbook.")] = None,
    by: ByOpt = None,
) -> None:
    """Positive and negative per reason, per attempt and per contact (audited: the report
    holds callees' numbers)."""
    form = ",".join(f for f, path in (("csv", csv_dir), ("xlsx", xlsx)) if path) or "table"

    async def work(db: Database) -> CampaignReport:
        # The same sheets and dialect as the console's download (Russian Excel: BOM, ";"),
        # streamed from the database: a million attempts never sit in memory.
        result = await operations.report(db, name, actor(by), form)
        store = DialerStore(db)
        if csv_dir is not None:
            await asyncio.to_thread(csv_dir.mkdir, parents=True, exist_ok=True)
            await report_csv_files(store, result, csv_dir, name)
        if xlsx is not None:
            await report_xlsx(store, result, xlsx)
        return result

    result = run_dialer(ctx, work)
    table = Table("состояние", "итог", "причина", "contacts")
    for row in result.summary:
        table.add_row(
            label("TargetState", row["state"]),
            label("Result", row["result"]),
            label("Reason", row["reason"]),
            str(row["contacts"]),
        )
    Console().print(table)
    per_attempt = Table("attempt", "статус", "причина", "count")
    for row in result.per_attempt:
        per_attempt.add_row(
            str(row["attempt"]),
            label("AttemptStatus", row["status"]),
            label("Reason", row["reason"]),
            str(row["count"]),
        )
    Console().print(per_attempt)
    if csv_dir is not None:
        typer.echo(f"CSV written to {csv_dir}")
    if xlsx is not None:
        typer.echo(f"XLSX written to {xlsx}")
