"""Running the real ``hotline`` command in tests, hermetically, against a SQLite file."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.settings.sections import HoursSettings

# The CLI reads a report's dates in hours.timezone (by default Asia/Krasnoyarsk, UTC+7).
CLI_ZONE = ZoneInfo(HoursSettings().timezone)


def period_around(at: datetime) -> tuple[str, ...]:
    """``--from``/``--to`` of the CLI's local day ``at`` falls on and the day before: dates
    taken in UTC would miss the last hours of the UTC day, already tomorrow there."""
    day = at.astimezone(CLI_ZONE).date()
    return ("--from", f"{day - timedelta(days=1)}", "--to", f"{day}")


def hermetic_store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A store URL under ``tmp_path``; no hotline.toml or HOTLINE_CONFIG from the developer's
    environment; the logging set-up the CLI makes is undone afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'hotline.db'}"
    root.handlers[:], root.level = handlers, level


def run_hotline(url: str, *args: str, settings: tuple[str, ...] = ()) -> tuple[int, str, str]:
    """``hotline --set store.url=URL [--set …] ARGS``: exit code, stdout, stderr.  A wide
    terminal, so rich does not shorten table cells; unexpected exceptions propagate."""
    overrides = [arg for pair in settings for arg in ("--set", pair)]
    result = CliRunner().invoke(
        app, ["--set", f"store.url={url}", *overrides, *args], env={"COLUMNS": "200"}
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr
