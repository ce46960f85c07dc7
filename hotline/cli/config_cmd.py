"""hotline config: write a commented settings file with every default; check one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from hotline.cli.config_file import settings_file_text
from hotline.cli.support import EXIT_FAILED, EXIT_MISCONFIGURED
from hotline.settings.file_check import check_settings_file

app = typer.Typer(no_args_is_help=True, help=__doc__)


@app.command()
def init(
    file: Annotated[
        Path | None,
        typer.Argument(help="Where to write it (default: print it); an existing file is kept."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing FILE.")] = False,
) -> None:
    """Write hotline.toml with every setting, its default and the requirement behind it."""
    text = settings_file_text()
    if file is None:
        typer.echo(text, nl=False)
        return
    if file.exists() and not force:
        typer.echo(f"{file} exists; pass --force to overwrite it", err=True)
        raise typer.Exit(EXIT_FAILED)
    file.parent.mkdir(parents=True, exist_ok=True)
    # 0640: it may hold secrets once edited.
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    typer.echo(f"wrote {file}")


@app.command()
def check(file: Annotated[Path, typer.Argument(help="The settings file (TOML).")]) -> None:
    """Validate FILE on its own (no environment, nothing started); each problem names its
    section, key and rule; the exit code is non-zero on any."""
    _, problems = check_settings_file(file)
    if problems:
        for problem in problems:
            typer.echo(f"{file}: {problem}", err=True)
        raise typer.Exit(EXIT_MISCONFIGURED)
    typer.echo(f"{file}: valid")
