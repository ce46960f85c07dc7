"""Checking one settings file on its own (`hotline config check FILE`; issue 24, item 3).

The file alone is validated, as the services would read it, without the environment or
command-line overrides: every problem is reported with its section, key and rule.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from hotline.settings import Settings


class _FileOnly(Settings):
    """The settings model fed from its keyword arguments only (no environment)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(the file)"


def _problem(error: Any) -> str:
    key = _where(tuple(error["loc"]))
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{key}: unknown setting (not a key of [{key.rpartition('.')[0] or key}])"
    if kind == "missing":
        return f"{key}: required, missing"
    given = error.get("input")
    shown = f" (given {given!r})" if not isinstance(given, dict | list) else ""
    return f"{key}: {error['msg']}{shown}"


def check_settings_file(path: Path) -> tuple[Settings | None, list[str]]:
    """The file's settings and no problems, or None and each problem: ``section.key:
    rule (given value)``, or the TOML syntax error with its line and column."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        return None, [f"cannot read {path}: {exc.strerror or exc}"]
    except tomllib.TOMLDecodeError as exc:
        return None, [f"not valid TOML: {exc}"]
    try:
        return _FileOnly(**data), []
    except ValidationError as exc:
        return None, [_problem(error) for error in exc.errors()]
