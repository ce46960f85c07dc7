"""Issue 18, item 5: `hotline --help` and `hotline say ... --text` import what they use, never
the engine, the console, the database layer or the AMI library (checked on sys.modules in a
fresh interpreter, not by the clock)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Final

import pytest
from typer.core import TyperGroup

from hotline.cli.lazy import COMMANDS

HEAVY: Final = (
    "fastapi",
    "sqlalchemy",
    "panoramisk",
    "uvicorn",
    "phonenumbers",
    "hotline.app",
    "hotline.web",
)
PROBE: Final = (
    "import atexit, json, sys\n"
    "atexit.register(lambda: print('MODULES ' + json.dumps(sorted(sys.modules))))\n"
    "sys.argv = ['hotline', *sys.argv[1:]]\n"
    "from hotline.cli.main import main\n"
    "main()\n"
)


def loaded(*argv: str) -> tuple[str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    out, _, modules = done.stdout.rpartition("MODULES ")
    return out, set(json.loads(modules))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_help_lists_every_command_without_importing_them() -> None:
    out, modules = loaded("--help")
    assert heavy(modules) == []
    assert "pydantic_settings" not in modules  # the help needs no settings
    assert not any(m.startswith("hotline.cli.") and m.endswith("_cmd") for m in modules)
    for name, entry in COMMANDS.items():
        assert entry.hidden or name in out


def test_say_text_imports_no_heavy_package() -> None:
    out, modules = loaded("say", "money", "1234.56", "--text")
    assert out.strip() == "одна тысяча двести тридцать четыре рубля пятьдесят шесть копеек"
    assert heavy(modules) == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_registered_command_loads(name: str) -> None:
    entry = COMMANDS[name]
    command = entry.load(name)
    assert command.name == name
    # A sub-app stays a group even with one command (`hotline call simulate`).
    assert isinstance(command, TyperGroup) == (entry.attr == "app")
