"""hotline call simulate: try the IVR from a simulated phone, through the real Asterisk."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import Annotated

import typer
from rich.console import Console

from hotline.app import ami_client, running_engine
from hotline.calls.simulator import SimulationError, Simulator, Transcript
from hotline.cli.context import settings_of
from hotline.cli.prompt_build import ensure_built
from hotline.cli.support import EXIT_FAILED
from hotline.cli.transcript import render_transcript
from hotline.settings import AmiRole, Settings
from hotline.speech.catalogue import CatalogueError
from hotline.speech.library import PromptLibrary
from hotline.speech.tools import SpeechError
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.transport.ami import AmiError
from hotline.transport.fastagi_probe import fastagi_listening

app = typer.Typer(no_args_is_help=True, help="Calls: simulate a caller.")


async def simulate_call(settings: Settings, dtmf: str, caller_id: str | None) -> Transcript:
    """Simulate one call; runs an engine in-process when none is listening."""
    async with contextlib.AsyncExitStack() as stack:
        if not await fastagi_listening(settings):
            print(
                f"no engine on {settings.fastagi.host}:{settings.fastagi.port}; "
                "running one in this process for the call",
                file=sys.stderr,
            )
            await stack.enter_async_context(running_engine(settings))
        db = Database.from_settings(settings)
        stack.push_async_callback(db.dispose)
        await db.upgrade()
        ami = ami_client(settings, AmiRole.CLI)
        await stack.enter_async_context(ami)
        return await Simulator(ami, CallLog(db), settings.simulate).run(dtmf, caller_id)
    raise AssertionError("unreachable")


@app.command()
def simulate(
    ctx: typer.Context,
    dtmf: Annotated[
        str,
        typer.Option(
            help="Keys to press; 'w' waits one second; '|' sends the next keys at the next "
            "question (e.g. 0|1|1: the operator, then a callback at the queue's offer)."
        ),
    ] = "",
    caller_id: Annotated[
        str | None, typer.Option("--caller-id", help="Caller's number (default: anonymous).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the transcript as JSON.")] = False,
) -> None:
    """Place a simulated call into the IVR and print what happened; prompts the built set
    lacks are built first (with a progress bar on a terminal)."""
    settings = settings_of(ctx)
    try:
        ensure_built(PromptLibrary(settings), Console(stderr=True))
        transcript = asyncio.run(simulate_call(settings, dtmf, caller_id))
    except (SimulationError, AmiError, SpeechError, CatalogueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    if as_json:
        typer.echo(json.dumps(transcript.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        render_transcript(transcript, Console())
