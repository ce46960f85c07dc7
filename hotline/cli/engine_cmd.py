"""hotline run: the engine; hotline demo: a scripted tour on the sandbox."""

from __future__ import annotations

import asyncio
import gc
import logging

import typer

from hotline.app import AmiSecretMissing, Engine
from hotline.cli.context import settings_of
from hotline.cli.support import EXIT_MISCONFIGURED
from hotline.core.event_loop import loop_factory
from hotline.core.logs import configure_logging
from hotline.core.priority import yield_to_pbx
from hotline.speech.catalogue import CatalogueError
from hotline.speech.tools import SpeechError
from hotline.store.db import UnknownSchema
from hotline.store.workers import SecondWorkerOnSqlite

log = logging.getLogger(__name__)


def run(ctx: typer.Context) -> None:
    """Run the engine (FastAGI server, AMI connection, call tracker) until SIGINT/SIGTERM."""
    settings = settings_of(ctx)
    # The event loop logs: its lines are written by a thread of their own (log_writer) while
    # the engine runs; then the run's last lines are written and logging is as for any command.
    configure_logging(settings.log, background=True)
    # [engine] nice: above 0, Asterisk's media goes first when both want a core (issue 19).
    priority = yield_to_pbx(settings.engine.nice)
    log.info(
        "CPU priority: nice %d, session %s (engine.nice %d)",
        priority.nice,
        "-" if priority.autogroup is None else f"nice {priority.autogroup}",
        settings.engine.nice,
    )
    try:
        engine = Engine(settings)
        # [engine] loop: asyncio's own or uvloop (issue 19 item 6).
        with asyncio.Runner(loop_factory=loop_factory(settings.engine.loop)) as runner:
            loop = type(runner.get_loop())
            log.info("event loop: %s.%s", loop.__module__.partition(".")[0], loop.__name__)
            runner.run(engine.run_until_signalled())
        # Stopped cleanly: the interpreter's final collection over the engine's heap took
        # 2.5 s of the stop on an idle machine (issue 21), far more under load; the objects
        # left are freed with the process instead.
        gc.freeze()
    except (
        AmiSecretMissing,
        SpeechError,
        CatalogueError,
        UnknownSchema,
        SecondWorkerOnSqlite,
    ) as exc:
        configure_logging(settings.log)  # the lines logged before it come first
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_MISCONFIGURED) from exc
    finally:
        configure_logging(settings.log)


def demo(ctx: typer.Context) -> None:
    """Start the sandbox and the engine, place scripted calls, print them, shut down."""
    from hotline.cli.demo import run_demo

    raise typer.Exit(run_demo(settings_of(ctx)))
