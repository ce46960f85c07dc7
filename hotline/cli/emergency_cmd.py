"""hotline emergency: the outage message every caller hears after the greeting, and the
relaxed operator answer target (180 s instead of 40 s) while it is on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.table import Table

from hotline.cli.context import settings_of
from hotline.cli.support import EXIT_FAILED, current_user, run_with_db
from hotline.contact_center.emergency import Emergency, answer_target, switch_off, switch_on
from hotline.settings import Settings
from hotline.speech import audio
from hotline.speech.catalogue import CatalogueError
from hotline.speech.library import PromptLibrary
from hotline.speech.tools import SpeechError
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.emergency import EmergencyStore

app = typer.Typer(no_args_is_help=True, help=__doc__)

EXIT_BAD_VALUE: Final = 2

ByOption = Annotated[str | None, typer.Option("--by", help="Who switches it (default: $USER).")]


@app.command()
def on(
    ctx: typer.Context,
    prompt: Annotated[
        str | None,
        typer.Option(
            "--prompt",
            "-p",
            metavar="ID",
            help="A built catalogue prompt, e.g. ivr.emergency.default.",
        ),
    ] = None,
    text: Annotated[
        str | None,
        typer.Option(
            "--text", "-t", help="A message to synthesise (rendered before it goes live)."
        ),
    ] = None,
    by: ByOption = None,
) -> None:
    """Switch emergency mode on (or change its message): give --prompt or --text."""
    if (prompt is None) == (text is None):
        typer.echo('emergency: give exactly one of --prompt ID and --text "..."', err=True)
        raise typer.Exit(EXIT_BAD_VALUE)
    settings = settings_of(ctx)
    library = PromptLibrary(settings)
    who = Actor(by or current_user(), "cli")

    async def work(db: Database) -> Emergency:
        return await switch_on(db, library, prompt_id=prompt, text=text, by=who)

    try:
        state = run_with_db(settings, work, command="emergency", errors=())
    except ValueError as exc:
        if isinstance(exc, CatalogueError):  # an unknown prompt id or a broken catalogue
            typer.echo(f"emergency: not switched on: {exc}", err=True)
            raise typer.Exit(EXIT_FAILED) from exc
        typer.echo(f"emergency: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_VALUE) from exc
    except SpeechError as exc:  # not built, or synthesis failed
        typer.echo(f"emergency: not switched on: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    _print_state(state, settings)


@app.command()
def off(ctx: typer.Context, by: ByOption = None) -> None:
    """Switch emergency mode off: callers no longer hear the message."""
    settings = settings_of(ctx)
    who = Actor(by or current_user(), "cli")

    async def work(db: Database) -> tuple[bool, Emergency]:
        return await switch_off(db, who)

    was_on, state = run_with_db(settings, work, command="emergency", errors=())
    if not was_on:
        typer.echo("emergency mode is already off")
        return
    _print_state(state, settings)


@app.command()
def status(
    ctx: typer.Context,
    history: Annotated[
        int, typer.Option("--history", "-n", min=0, help="Also list the last N switches.")
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Whether emergency mode is on, since when, by whom, with which message."""
    settings = settings_of(ctx)

    async def work(db: Database) -> tuple[Emergency, list[Emergency]]:
        store = EmergencyStore(db)
        return await store.current(), (await store.history(history) if history else [])

    state, switches = run_with_db(settings, work, command="emergency", errors=())
    if as_json:
        data = {
            **state.to_dict(),
            "answer_target": answer_target(state, settings.queue),
            "history": [s.to_dict() for s in switches],
        }
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _print_state(state, settings)
    if switches:
        table = Table("When", "Switch", "By", "Message")
        for switch in switches:
            table.add_row(
                _when(switch),
                "on" if switch.active else "off",
                switch.by or "",
                _message(switch) if switch.active else "",
            )
        Console(width=200).print(table)


def _print_state(state: Emergency, settings: Settings) -> None:
    target = answer_target(state, settings.queue)
    if state.since is None:
        typer.echo("emergency mode: OFF (never switched on)")
    elif not state.active:
        typer.echo(f"emergency mode: OFF since {_when(state)} (by {state.by})")
    else:
        typer.echo(f"emergency mode: ON since {_when(state)} (by {state.by})")
        typer.echo(f"  message: {_message(state)}")
        typer.echo(f"  sound:   {_sound(state.sound)}")
    typer.echo(f"  operator answer target: {target} s")


def _message(state: Emergency) -> str:
    if state.prompt_id is not None:
        return f"prompt {state.prompt_id}"
    return f"text {state.text!r}" if state.text is not None else ""


def _sound(sound: str | None) -> str:
    if sound is None:
        return "none"
    if not audio.sound_exists(Path(sound)):
        return f"{sound}  (MISSING: callers cannot hear it; switch on again to re-render)"
    return f"{sound}  {audio.duration(sound):.2f} s"


def _when(state: Emergency) -> str:
    # Staff read times in the server's local zone.
    if state.since is None:
        return ""
    return state.since.astimezone().isoformat(sep=" ", timespec="seconds")
