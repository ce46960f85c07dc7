"""hotline users: who may log in to the console, with which role.  Every change is written to
the audit log with the OS user who made it."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Final, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from hotline.access.users import Role, UserError, Users
from hotline.cli.context import settings_of
from hotline.cli.support import current_user, run_with_db
from hotline.core.vocabulary import label
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.users import UserRecord

app = typer.Typer(no_args_is_help=True, help=__doc__)

EXIT_REFUSED: Final = 1
T = TypeVar("T")

NameArg = Annotated[str, typer.Argument(help="The user's log-in name.")]


def _cli_actor() -> Actor:
    return Actor(current_user(), "cli")


def _run(ctx: typer.Context, work: Callable[[Users], Awaitable[T]]) -> T:
    settings = settings_of(ctx)

    async def with_users(db: Database) -> T:
        return await work(Users(db, settings.web))

    try:
        return run_with_db(settings, with_users, command="users", errors=())
    except UserError as exc:
        typer.echo(f"users: {exc}", err=True)
        raise typer.Exit(EXIT_REFUSED) from exc


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@app.command()
def add(
    ctx: typer.Context,
    name: NameArg,
    role: Annotated[Role, typer.Option("--role", "-r", help="operator, supervisor or admin.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a user; the password is prompted for (twice) unless --password-stdin."""
    password = _read_password(password_stdin)
    user = _run(ctx, lambda users: users.add(name, role, password, _cli_actor()))
    typer.echo(f"added {user.name} ({user.role})")


@app.command()
def passwd(
    ctx: typer.Context,
    name: NameArg,
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
) -> None:
    """Set a new password; the user's open sessions end."""
    password = _read_password(password_stdin)
    _run(ctx, lambda users: users.set_password(name, password, _cli_actor()))
    typer.echo(f"password of {name} changed")


@app.command()
def role(
    ctx: typer.Context,
    name: NameArg,
    new_role: Annotated[Role, typer.Argument(metavar="ROLE")],
) -> None:
    """Change a user's role; their open sessions end."""
    _run(ctx, lambda users: users.set_role(name, new_role, _cli_actor()))
    typer.echo(f"{name} is now {new_role.value}")


@app.command()
def unlock(ctx: typer.Context, name: NameArg) -> None:
    """Lift a lock-out after repeated failed log-ins."""
    _run(ctx, lambda users: users.unlock(name, _cli_actor()))
    typer.echo(f"{name} unlocked")


@app.command()
def disable(ctx: typer.Context, name: NameArg) -> None:
    """Stop a user from logging in (the account and its history stay)."""
    _run(ctx, lambda users: users.disable(name, _cli_actor()))
    typer.echo(f"{name} disabled")


@app.command()
def enable(ctx: typer.Context, name: NameArg) -> None:
    """Let a disabled user log in again."""
    _run(ctx, lambda users: users.enable(name, _cli_actor()))
    typer.echo(f"{name} enabled")


def _as_dict(user: UserRecord) -> dict[str, object]:
    return {
        "name": user.name,
        "role": user.role,
        "disabled": user.disabled,
        "locked_until": user.locked_until.isoformat() if user.locked_until else None,
        "created_at": user.created_at.isoformat(),
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """All users with role and state."""
    users = _run(ctx, lambda users: users.list())
    if as_json:
        typer.echo(json.dumps([_as_dict(u) for u in users], ensure_ascii=False, indent=2))
        return
    table = Table("name", "role", "state", "last log-in")
    for user in users:
        state = "disabled" if user.disabled else ("locked" if user.locked_until else "active")
        last = user.last_login_at.isoformat(timespec="seconds") if user.last_login_at else ""
        table.add_row(user.name, label("Role", user.role), state, last)
    Console().print(table)
