"""Issue 19 (a suite under 10 minutes): the ``hotline`` program imports a command's modules with
the cyclic garbage collector paused and then freezes what they built, so no later collection
walks them again; a test driving the Typer app in its own process keeps its collector as it
was (checked on the collector's state in a fresh interpreter, not by the clock)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Final

# `users --help` loads the users command's module (SQLAlchemy, the models, settings) and needs
# no database; through the program's entry point, then the collector's state.
PROBE: Final = (
    "import atexit, gc, json, sys\n"
    "atexit.register(lambda: print('GC ' + json.dumps([gc.get_freeze_count(), gc.isenabled()])))\n"
    "sys.argv = ['hotline', *sys.argv[1:]]\n"
    "from hotline.cli.main import main\n"
    "main()\n"
)
# The same command through Typer's test runner, as the CLI tests run it in their process.
IN_PROCESS: Final = (
    "import gc, json, sys\n"
    "from typer.testing import CliRunner\n"
    "from hotline.cli.main import app\n"
    "done = CliRunner().invoke(app, sys.argv[1:])\n"
    "assert done.exit_code == 0, done.output\n"
    "print('GC ' + json.dumps([gc.get_freeze_count(), gc.isenabled()]))\n"
)


def collector_after(script: str) -> tuple[int, bool]:
    done = subprocess.run(
        [sys.executable, "-c", script, "users", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    frozen, enabled = json.loads(done.stdout.rpartition("GC ")[2])
    return int(frozen), bool(enabled)


def test_the_program_freezes_a_commands_imports_and_collects_again() -> None:
    frozen, enabled = collector_after(PROBE)
    assert frozen > 10_000  # the users command's modules (over 200,000 objects)
    assert enabled


def test_a_test_driving_the_app_in_its_process_keeps_its_collector() -> None:
    assert collector_after(IN_PROCESS) == (0, True)
