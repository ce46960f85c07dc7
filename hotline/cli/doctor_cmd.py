"""hotline doctor: check an installation (Asterisk, AMI, FastAGI, dialplan, prompts, database,
recordings folder and disk, clock, calendar, console) and print each finding with its fix."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Final

import typer

from hotline.app import AmiSecretMissing, resolve_ami_secret
from hotline.cli.context import settings_of
from hotline.cli.support import EXIT_FAILED
from hotline.doctor.checks import Finding, Status, as_json, has_errors
from hotline.doctor.run import diagnose
from hotline.settings import AmiRole, Settings

MARKS: Final = {Status.OK: "ok", Status.WARNING: "WARNING", Status.ERROR: "ERROR"}


def ami_secrets(settings: Settings) -> dict[AmiRole, str | Exception]:
    secrets: dict[AmiRole, str | Exception] = {}
    for role in AmiRole:
        try:
            secrets[role] = resolve_ami_secret(settings, role)
        except AmiSecretMissing as exc:
            secrets[role] = exc
    return secrets


def _line(finding: Finding) -> str:
    text = f"{MARKS[finding.status]:<7} {finding.check}: {finding.message}"
    if finding.fix and finding.status is not Status.OK:
        text += f"\n        fix: {finding.fix}"
    return text


def doctor(
    ctx: typer.Context,
    as_json_: Annotated[
        bool, typer.Option("--json", help="One JSON document instead of lines.")
    ] = False,
) -> None:
    """Check this installation; exit 1 if any check finds an error (warnings do not count)."""
    settings = settings_of(ctx)
    findings = asyncio.run(diagnose(settings, ami_secrets(settings)))
    if as_json_:
        typer.echo(json.dumps(as_json(findings), ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            typer.echo(_line(finding))
        summary = as_json(findings)
        typer.echo(f"doctor: {summary['errors']} error(s), {summary['warnings']} warning(s)")
    if has_errors(findings):
        raise typer.Exit(EXIT_FAILED)
