"""The ``hotline`` command: global options, then one sub-command group per area."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

# No pydantic plugins are used; without this every command scans all installed
# distributions' entry points for them (about 20 ms of a short command's start-up).
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer  # after the variable: typer imports pydantic

from hotline.cli.context import CliState
from hotline.cli.lazy import LazyGroup, freeze_command_imports

# Sub-commands are imported when used (hotline.cli.lazy.COMMANDS): `hotline --help` and
# `hotline say ... --text` answer without loading the engine, the console or the database.
app = typer.Typer(cls=LazyGroup, no_args_is_help=True, add_completion=False, help=__doc__)


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
    freeze_command_imports()
    try:
        app()
    except Exception as exc:
        from hotline.settings import SettingsError  # loaded by then if settings were read

        if not isinstance(exc, SettingsError):
            raise
        typer.echo(f"settings error: {exc}", err=True)
        raise SystemExit(2) from exc
