"""What every ``hotline`` command shares: the exit code of a failed command, the database
runner, and who is typing (the OS login name, for the audit log)."""

from __future__ import annotations

import asyncio
import getpass
import os
from collections.abc import Awaitable, Callable
from typing import Final, NoReturn, TypeVar

import typer

from hotline.core.errors import NotFound
from hotline.settings import Settings
from hotline.store.db import Database

EXIT_FAILED: Final = 1

T = TypeVar("T")


def run_with_db(
    settings: Settings,
    work: Callable[[Database], Awaitable[T]],
    *,
    command: str,
    migrate: bool = True,
    errors: tuple[type[Exception], ...] = (NotFound, ValueError),
) -> T:
    """Run ``work`` against the configured database (migrated to head first unless told not
    to).  One of ``errors`` is printed as ``<command>: <message>`` and exits with
    :data:`EXIT_FAILED`."""

    async def main() -> T:
        async with Database.from_settings(settings) as db:
            if migrate:
                await db.upgrade()
            return await work(db)

    try:
        return asyncio.run(main())
    except errors as exc:
        fail(command, exc)


def fail(command: str, error: Exception | str) -> NoReturn:
    """Print ``<command>: <error>`` on stderr and exit with :data:`EXIT_FAILED`."""
    typer.echo(f"{command}: {error}", err=True)
    raise typer.Exit(EXIT_FAILED)


def current_user() -> str:
    """Who is at the keyboard: ``$USER`` (via getpass), or ``unknown``."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (a bare container)
        return os.environ.get("USER") or "unknown"
