"""hotline prompts: render the prompt catalogue and readout fragments, and check the build."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from hotline.cli.context import settings_of
from hotline.cli.prompt_build import build_with_progress
from hotline.cli.support import EXIT_FAILED
from hotline.speech.catalogue import CatalogueError
from hotline.speech.library import DEFAULT_CONCURRENCY, BuildReport, PromptLibrary
from hotline.speech.tools import SpeechError
from hotline.speech.wording import check_prompts, errors

app = typer.Typer(no_args_is_help=True, help=__doc__)


@app.command()
def build(
    ctx: typer.Context,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="Prompts rendered at a time.")
    ] = DEFAULT_CONCURRENCY,
) -> None:
    """Render every prompt and fragment that changed for the configured backend and voice."""
    settings = settings_of(ctx)
    library = PromptLibrary(settings, concurrency=jobs)
    try:
        report = build_with_progress(library, Console(stderr=True))
    except (CatalogueError, SpeechError) as exc:
        typer.echo(f"prompts: build failed: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    _summary(report)


def _summary(report: BuildReport) -> None:
    typer.echo(
        f"prompts: {report.total} built in {report.seconds:.1f} s: "
        f"{len(report.rendered)} rendered, {len(report.reused)} reused"
        + (f", {len(report.removed)} removed" if report.removed else "")
    )
    typer.echo(f"prompts: {report.directory}")


@app.command()
def check(ctx: typer.Context) -> None:
    """List every prompt (id, source, duration measured from its file, text) and check the
    wording (settings wording.*: forbidden phrases are errors, negative words warnings); exit 1
    if a prompt is not built, is stale or has a forbidden phrase."""
    settings = settings_of(ctx)
    library = PromptLibrary(settings)
    try:
        statuses = library.check()
        orphans = library.catalogue.orphan_recordings()
    except (CatalogueError, SpeechError) as exc:
        typer.echo(f"prompts: check failed: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    findings = check_prompts(library.catalogue, settings.wording)
    width = max((len(s.id) for s in statuses), default=2)
    for status in statuses:
        seconds = f"{status.duration:6.2f} s" if status.duration is not None else "     - s"
        columns = f"{status.id:<{width}}  {status.source:<8}  {seconds}  {status.state:<7}"
        typer.echo(f"{columns}  {status.text}")
    for orphan in orphans:
        typer.echo(f"prompts: warning: recording {orphan} matches no prompt id", err=True)
    for finding in findings:
        typer.echo(f"prompts: {finding}", err=True)
    bad = [s for s in statuses if s.state != "ok"]
    typer.echo(
        f"prompts: {len(statuses) - len(bad)} of {len(statuses)} built and current "
        f"in {library.voice_dir()}"
    )
    forbidden = errors(findings)
    if findings:
        typer.echo(
            f"prompts: wording: {len(forbidden)} error(s), {len(findings) - len(forbidden)} "
            "warning(s)",
            err=True,
        )
    if bad:
        missing = sum(s.state == "missing" for s in bad)
        typer.echo(
            f"prompts: {missing} not built, {len(bad) - missing} stale: "
            "run `hotline prompts build`",
            err=True,
        )
    if bad or forbidden:
        raise typer.Exit(EXIT_FAILED)
