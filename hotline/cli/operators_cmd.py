"""hotline operators: who answers the queue (a PJSIP phone, or in the sandbox a simulated
operator), logging them in and out, pauses, and the screen pop of the call they answered."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Final, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from hotline.cli.context import settings_of
from hotline.cli.support import EXIT_FAILED, current_user, run_with_ami, run_with_db
from hotline.contact_center import operators as ops
from hotline.contact_center.departments import departments
from hotline.contact_center.operators import OperatorError
from hotline.core.errors import NotFound
from hotline.settings import Settings
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.operators import OperatorRecord, Operators
from hotline.transport.ami import AmiClient

app = typer.Typer(no_args_is_help=True, help=__doc__)

EXIT_BAD_VALUE: Final = 2

T = TypeVar("T")


def _run(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    return run_with_db(settings, work, command="operators")


def _run_ami(settings: Settings, work: Callable[[Database, AmiClient], Awaitable[T]]) -> T:
    return run_with_ami(settings, work, command="operators", errors=(OperatorError, NotFound))


NameArg = Annotated[str, typer.Argument(help="The operator's login name, e.g. ivanova.")]


@app.command()
def add(
    ctx: typer.Context,
    name: NameArg,
    device: Annotated[
        str | None,
        typer.Option("--device", help="The phone the queue rings, e.g. PJSIP/op-ivanova."),
    ] = None,
    simulated: Annotated[
        bool, typer.Option("--simulated", help="A sandbox operator on a Local channel.")
    ] = False,
    answer_after: Annotated[
        int | None,
        typer.Option(help="Simulated: seconds before answering; -1 never answers."),
    ] = None,
    handling: Annotated[
        int | None, typer.Option(help="Simulated: seconds of conversation before hanging up.")
    ] = None,
    full_name: Annotated[str | None, typer.Option("--full-name")] = None,
    department: Annotated[
        str | None,
        typer.Option(
            "--department",
            help="The department whose queue the operator takes calls in (queue.departments, "
            "e.g. dispatcher); default the operators' queue.",
        ),
    ] = None,
) -> None:
    """Register an operator with a device (--device) or as a simulated one (--simulated)."""
    settings = settings_of(ctx)
    known = departments(settings.queue)
    if department is not None and department not in known:
        typer.echo(
            f"operators: unknown department {department!r}: one of {', '.join(known)}", err=True
        )
        raise typer.Exit(EXIT_BAD_VALUE)
    if department == settings.queue.department:
        department = None
    if simulated == (device is not None):
        typer.echo("operators: give exactly one of --device and --simulated", err=True)
        raise typer.Exit(EXIT_BAD_VALUE)
    try:
        ops.check_name(name)
        if simulated:
            sim = settings.sim_operator
            after = sim.answer_after if answer_after is None else answer_after
            interface = ops.simulated_interface(
                name, after, sim.handling_seconds if handling is None else handling
            )
        else:
            assert device is not None
            if "/" not in device:
                raise OperatorError(f"invalid device {device!r}: e.g. PJSIP/op-{name}")
            interface = device
    except OperatorError as exc:
        typer.echo(f"operators: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_VALUE) from exc

    async def work(db: Database) -> None:
        await Operators(db).add(
            name, interface, full_name=full_name, simulated=simulated, department=department
        )

    _run(settings, work)
    queue = ops.queue_of_department(settings, department)
    typer.echo(f"operator {name} added: {interface} (queue {queue})")


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Registered operators, whether they are logged in and paused."""

    async def work(db: Database) -> list[OperatorRecord]:
        return await Operators(db).all()

    rows = _run(settings_of(ctx), work)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    table = Table("Name", "Device", "Logged in", "Paused", "Simulated")
    for r in rows:
        table.add_row(
            r.name,
            r.interface,
            "yes" if r.logged_in else "no",
            "yes" if r.paused else "no",
            "yes" if r.simulated else "",
        )
    Console(width=200).print(table)


def _queue_action(ctx: typer.Context, name: str, verb: str) -> None:
    settings = settings_of(ctx)

    async def work(db: Database, ami: AmiClient) -> None:
        await ops.queue_action(ami, db, settings, name, verb, Actor(current_user(), "cli"))

    _run_ami(settings, work)
    typer.echo(f"operator {name}: {verb} done")


@app.command()
def login(ctx: typer.Context, name: NameArg) -> None:
    """Put the operator into the queue (AMI QueueAdd)."""
    _queue_action(ctx, name, "login")


@app.command()
def logout(ctx: typer.Context, name: NameArg) -> None:
    """Take the operator out of the queue (AMI QueueRemove)."""
    _queue_action(ctx, name, "logout")


@app.command("pause")
def pause_(ctx: typer.Context, name: NameArg) -> None:
    """The queue stops ringing the operator (AMI QueuePause)."""
    _queue_action(ctx, name, "pause")


@app.command()
def unpause(ctx: typer.Context, name: NameArg) -> None:
    """The queue rings the operator again."""
    _queue_action(ctx, name, "unpause")


@app.command()
def screen(
    ctx: typer.Context,
    name: NameArg,
    no_ami: Annotated[
        bool, typer.Option("--no-ami", help="From the store only, no channel variables.")
    ] = False,
) -> None:
    """JSON screen pop for the call the operator is talking to: caller, account, reading,
    menu path and why they asked for an operator.  Exit 1 when no call is connected."""
    settings = settings_of(ctx)

    async def from_store(db: Database, ami: AmiClient | None) -> dict[str, object] | None:
        return await ops.screen_pop(db, name, ami, Actor(current_user(), "cli"))

    if no_ami:
        data = _run(settings, lambda db: from_store(db, None))
    else:
        data = _run_ami(settings, from_store)
    if data is None:
        typer.echo(f"operators: {name} has no call connected", err=True)
        raise typer.Exit(EXIT_FAILED)
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
