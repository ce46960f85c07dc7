"""The ``hotline`` command: global options, then one sub-command group per area."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hotline.cli import (
    accounts_cmd,
    appeals_cmd,
    asterisk_cmd,
    audit_cmd,
    backup_cmd,
    call_cmd,
    callbacks_cmd,
    calls_cmd,
    campaign_cmd,
    config_cmd,
    db_cmd,
    deploy_cmd,
    dnc_cmd,
    doctor_cmd,
    emergency_cmd,
    engine_cmd,
    hours_cmd,
    ivr_cmd,
    kamailio_cmd,
    kannel_cmd,
    menu_cmd,
    operators_cmd,
    outages_cmd,
    prometheus_cmd,
    prompts_cmd,
    queue_cmd,
    readings_cmd,
    recordings_cmd,
    sandbox_cmd,
    say_cmd,
    scenario_cmd,
    sms_cmd,
    users_cmd,
    web_cmd,
)
from hotline.cli.context import CliState
from hotline.settings import SettingsError

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.add_typer(sandbox_cmd.app, name="sandbox")
app.add_typer(call_cmd.app, name="call")
app.add_typer(db_cmd.app, name="db")
app.add_typer(calls_cmd.app, name="calls")
app.add_typer(asterisk_cmd.app, name="asterisk")
app.add_typer(deploy_cmd.app, name="deploy")
app.add_typer(config_cmd.app, name="config")
app.add_typer(prompts_cmd.app, name="prompts")
app.add_typer(hours_cmd.app, name="hours")
app.add_typer(emergency_cmd.app, name="emergency")
app.add_typer(outages_cmd.app, name="outages")
app.add_typer(sms_cmd.app, name="sms")
app.add_typer(kannel_cmd.app, name="kannel")
app.add_typer(appeals_cmd.app, name="appeals")
app.add_typer(menu_cmd.app, name="menu")
app.add_typer(ivr_cmd.app, name="ivr")
app.add_typer(campaign_cmd.app, name="campaign")
app.add_typer(campaign_cmd.app, name="campaigns", hidden=True)
app.add_typer(scenario_cmd.app, name="scenario")
app.add_typer(dnc_cmd.app, name="dnc")
app.add_typer(accounts_cmd.app, name="accounts")
app.add_typer(readings_cmd.app, name="readings")
app.add_typer(operators_cmd.app, name="operators")
app.add_typer(callbacks_cmd.app, name="callbacks")
app.add_typer(queue_cmd.app, name="queue")
app.add_typer(recordings_cmd.app, name="recordings")
app.add_typer(users_cmd.app, name="users")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(prometheus_cmd.app, name="prometheus")
app.add_typer(kamailio_cmd.app, name="kamailio")
app.command("run")(engine_cmd.run)
app.command("demo")(engine_cmd.demo)
app.command("say")(say_cmd.say)
app.command("web")(web_cmd.web)
app.command("doctor")(doctor_cmd.doctor)
app.command("backup")(backup_cmd.backup)
app.command("restore")(backup_cmd.restore)


@app.callback()
def _global(
    ctx: typer.Context,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Settings file (TOML).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a setting: section.key=value (repeatable)."),
    ] = None,
) -> None:
    ctx.obj = CliState(config_file=config, overrides=list(set_ or []))


def main() -> None:
    try:
        app()
    except SettingsError as exc:
        typer.echo(f"settings error: {exc}", err=True)
        raise SystemExit(2) from exc
