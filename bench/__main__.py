"""``python -m bench [name ...] [options]``: run benchmarks (all of them by default).

Add a benchmark by writing a module with ``add_arguments(parser)`` and ``run(options) -> int``
and listing it in BENCHMARKS.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

from bench import (
    accounts_import,
    cli_start,
    cluster,
    combined,
    dialer,
    dialer_workers,
    exports,
    fastagi,
    first_time,
    reports,
    sip_menu,
    soak,
    speech,
    webhooks,
)


@dataclass(frozen=True)
class Benchmark:
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    # False: only when named (the soak breaks things on purpose and takes minutes).
    in_all: bool = True


BENCHMARKS: dict[str, Benchmark] = {
    "fastagi": Benchmark(
        "FastAGI server CPU per session against a raw-asyncio floor",
        fastagi.add_arguments,
        fastagi.run,
    ),
    "dialer": Benchmark(
        "Campaign dialer: import, dispatch, pacing on the simulated carrier, reports",
        dialer.add_arguments,
        dialer.run,
    ),
    "dialer_workers": Benchmark(
        "Dialer throughput of two engine workers against one on PostgreSQL (issue 20)",
        dialer_workers.add_arguments,
        dialer_workers.run,
    ),
    "reports": Benchmark(
        "Reports over 1M attempts, call events and queue events vs count(*), streamed export",
        reports.add_arguments,
        reports.run,
    ),
    "exports": Benchmark(
        "Exports streamed row by row vs built in memory: time and peak memory, CSV and XLSX",
        exports.add_arguments,
        exports.run,
    ),
    "accounts": Benchmark(
        "Accounts import: parse, check and write a billing file vs reading the bare CSV",
        accounts_import.add_arguments,
        accounts_import.run,
    ),
    "speech": Benchmark(
        "Personal debt phrase: composed or synthesised, vs RHVoice",
        speech.add_arguments,
        speech.run,
    ),
    "cli": Benchmark(
        "CLI start-up: hotline --help and say --text against python -c pass",
        cli_start.add_arguments,
        cli_start.run,
    ),
    "sip_menu": Benchmark(
        "SIP callers walking the menu by DTMF: engine vs the menu as pure dialplan",
        sip_menu.add_arguments,
        sip_menu.run,
    ),
    "first_time": Benchmark(
        "The IVR's first-time-caller lookup over 1M calls, indexed and not, vs SELECT 1",
        first_time.add_arguments,
        first_time.run,
    ),
    "cluster": Benchmark(
        "SIP menu capacity of two Asterisk nodes through Kamailio against one (issue 20)",
        cluster.add_arguments,
        cluster.run,
    ),
    "webhooks": Benchmark(
        "Webhook outbox: events delivered per second vs bare INSERT+commit and bare POSTs",
        webhooks.add_arguments,
        webhooks.run,
    ),
    "combined": Benchmark(
        "Event-loop lag and AMI drops under SIP callers, a 20 cps campaign and live pages",
        combined.add_arguments,
        combined.run,
    ),
    "soak": Benchmark(
        "Chaos soak: steady load while seeded faults break every part; then the auditor",
        soak.add_arguments,
        soak.run,
        in_all=False,
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="name", metavar="{" + ",".join(BENCHMARKS) + "}")
    for name, benchmark in BENCHMARKS.items():
        benchmark.add_arguments(sub.add_parser(name, help=benchmark.description))
    options = parser.parse_args(argv)
    if options.name is not None:
        return BENCHMARKS[options.name].run(options)
    status = 0
    for name, benchmark in BENCHMARKS.items():  # all, each with its defaults
        if not benchmark.in_all:
            continue
        defaults = sub.choices[name].parse_args([])
        status |= benchmark.run(defaults)
    return status


if __name__ == "__main__":
    sys.exit(main())
