"""State shared by all sub-commands: how to load settings (loaded lazily, once)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from hotline.settings import Settings


@dataclass
class CliState:
    config_file: Path | None = None
    overrides: list[str] = field(default_factory=list)
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            # Imported here: `hotline --help` needs no settings (pydantic-settings is slow).
            from hotline.core.logs import configure_logging
            from hotline.settings import load_settings, parse_overrides

            self._settings = load_settings(self.config_file, parse_overrides(self.overrides))
            configure_logging(self._settings.log)
        return self._settings


def settings_of(ctx: typer.Context) -> Settings:
    state = ctx.find_root().obj
    if not isinstance(state, CliState):  # invoked without the root callback (tests)
        state = CliState()
        ctx.find_root().obj = state
    return state.settings
