"""CLI start-up: wall time of ``hotline --help`` and ``hotline say money 1234.56 --text``
against ``python -c pass`` (the interpreter alone), measured in the same run.

Each command is a fresh process (``python -m hotline.cli ...``, as the ``hotline`` script
runs it); medians of ``--repeat`` runs, in ms.  Issue 18 asked for both under 0.3 s here.

The package is byte-compiled first (into its ``__pycache__`` folders, which git ignores), as
an installed package is (pip compiles at install): this machine sets PYTHONDONTWRITEBYTECODE,
and compiling the sources on every run would cost about 80 ms that no server pays.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench.common import machine_line, median

COMMANDS: dict[str, list[str]] = {
    "baseline: python -c pass": ["-c", "pass"],
    "hotline --help": ["-m", "hotline.cli", "--help"],
    "hotline say money 1234.56 --text": ["-m", "hotline.cli", "say", "money", "1234.56", "--text"],
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repeat", type=int, default=7, help="runs per command")


ROOT = Path(__file__).resolve().parent.parent


def _run_ms(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) of one run in ms; CPU (user + system) tells a busy machine's queueing
    apart from work the command does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, *argv],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
        env=env,
    )
    wall = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def run(options: argparse.Namespace) -> int:
    print(f"machine: {machine_line()}")
    print(f"CLI start-up, wall time, median of {options.repeat} runs (interleaved)")
    walls: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpus: dict[str, list[float]] = {name: [] for name in COMMANDS}
    env = dict(os.environ, COLUMNS="80")
    compile_package = (
        f"import compileall; compileall.compile_dir({str(ROOT / 'hotline')!r}, quiet=1)"
    )
    subprocess.run([sys.executable, "-c", compile_package], check=True, env=env)
    for _ in range(options.repeat):
        for name, argv in COMMANDS.items():
            wall, cpu = _run_ms(argv, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
    baseline = median(next(iter(walls.values())))
    print(f"{'':<36}{'wall ms':>9}{'- baseline':>12}{'CPU ms':>9}  wall runs (ms)")
    for name, values in walls.items():
        print(
            f"{name:<36}{median(values):>9.1f}{median(values) - baseline:>12.1f}"
            f"{median(cpus[name]):>9.1f}  " + " ".join(f"{v:.0f}" for v in values)
        )
    return 0
