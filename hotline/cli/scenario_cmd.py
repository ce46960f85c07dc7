"""hotline scenario: campaign scenarios, versioned sequences of prompts and values."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from dialer.model import TEMPLATES, CampaignKind, Scenario
from dialer.repository import DialerStore
from hotline.cli.context import settings_of
from hotline.cli.dialer_support import ByOpt, run_dialer
from hotline.cli.support import EXIT_FAILED, current_user
from hotline.core.clock import utc_now

app = typer.Typer(
    no_args_is_help=True, help="Campaign scenarios: versioned sequences of prompts and values."
)


@app.command("create")
def scenario_create(
    ctx: typer.Context,
    name: str,
    kind: Annotated[
        CampaignKind | None, typer.Option("--kind", help="Start from the built-in template.")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Scenario YAML (kind, steps, confirm).")
    ] = None,
    confirm: Annotated[
        bool | None, typer.Option("--confirm/--no-confirm", help='Ask "press 1".')
    ] = None,
    by: ByOpt = None,
) -> None:
    """Store a scenario (a new version if the name exists)."""
    if (kind is None) == (file is None):
        typer.echo("scenario: give --kind or --file", err=True)
        raise typer.Exit(EXIT_FAILED)
    try:
        if file is not None:
            scenario = Scenario.model_validate(yaml.safe_load(file.read_text(encoding="utf-8")))
        else:
            assert kind is not None
            if kind not in TEMPLATES:
                typer.echo(f"scenario: no template for {kind.value}; use --file", err=True)
                raise typer.Exit(EXIT_FAILED)
            scenario = TEMPLATES[kind]
        if confirm is not None:
            scenario = scenario.model_copy(update={"confirm": confirm})
    except (ValidationError, OSError, yaml.YAMLError) as exc:
        typer.echo(f"scenario: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    from hotline.speech.catalogue import CatalogueError
    from hotline.speech.library import PromptLibrary
    from hotline.speech.wording import check_prompts, check_text, errors

    settings = settings_of(ctx)
    try:
        catalogue = PromptLibrary(settings).catalogue
        for prompt_id in scenario.prompt_ids():
            catalogue.require(prompt_id, used_by=f"scenario {name}")
    except CatalogueError as exc:
        typer.echo(f"scenario: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    # what the callee hears or reads is checked like the catalogue.
    findings = check_prompts(
        catalogue, settings.wording, scenario.prompt_ids(), f"scenario {name}"
    )
    for label, text in (
        ("e-mail subject", scenario.email_subject),
        ("e-mail body", scenario.email_body),
    ):
        findings += check_text(text or "", f"scenario {name} {label}", settings.wording)
    for finding in findings:
        typer.echo(f"scenario: {finding}", err=True)
    if errors(findings):
        typer.echo(f"scenario: {name} not stored: rephrase the forbidden phrases", err=True)
        raise typer.Exit(EXIT_FAILED)
    version = run_dialer(
        ctx,
        lambda db: DialerStore(db).add_scenario(name, scenario, by or current_user(), utc_now()),
    )
    typer.echo(f"scenario {name} version {version.version} stored")


@app.command("list")
def scenario_list(ctx: typer.Context) -> None:
    """Every scenario version."""
    rows = run_dialer(ctx, lambda db: DialerStore(db).scenarios())
    table = Table("name", "version", "kind", "steps", "confirm", "author", "created")
    for row in rows:
        table.add_row(
            row.name,
            str(row.version),
            row.kind,
            str(len(row.scenario.steps)),
            "yes" if row.scenario.confirm else "no",
            row.author,
            f"{row.created_at:%Y-%m-%d %H:%M}",
        )
    Console().print(table)


@app.command("show")
def scenario_show(
    ctx: typer.Context, name: str, version: Annotated[int | None, typer.Option()] = None
) -> None:
    """A scenario version as YAML."""
    row = run_dialer(ctx, lambda db: DialerStore(db).scenario(name, version))
    typer.echo(f"# {row.name} version {row.version} by {row.author}")
    typer.echo(yaml.safe_dump(row.scenario.model_dump(mode="json"), allow_unicode=True))


# --- do-not-call ----------------------------------------------------------------------------
