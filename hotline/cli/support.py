"""What every ``hotline`` command shares: the exit code of a failed command, the database
and AMI runners, the --from/--to parser, and who is typing (the OS login name, for the
audit log)."""

from __future__ import annotations

import asyncio
import getpass
import os
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Final, NoReturn, TypeVar
from zoneinfo import ZoneInfo

import typer

from hotline.app import ami_client
from hotline.cli.exits import EXIT_FAILED as EXIT_FAILED
from hotline.cli.exits import EXIT_MISCONFIGURED as EXIT_MISCONFIGURED
from hotline.core.errors import NotFound
from hotline.core.report_period import parse_moment
from hotline.settings import AmiRole, Settings
from hotline.store.db import Database, UnknownSchema
from hotline.transport.ami import AmiClient, AmiError

AMI_CONNECT_SECONDS: Final = 10.0

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
    to).  One of ``errors`` (or a schema newer than this hotline knows) is printed as
    ``<command>: <message>`` and exits with :data:`EXIT_FAILED`."""

    async def main() -> T:
        async with Database.from_settings(settings) as db:
            if migrate:
                await db.upgrade()
            return await work(db)

    caught: tuple[type[Exception], ...] = (UnknownSchema, *errors)
    try:
        return asyncio.run(main())
    except caught as exc:
        fail(command, exc)


def run_with_ami(
    settings: Settings,
    work: Callable[[Database, AmiClient], Awaitable[T]],
    *,
    command: str,
    errors: tuple[type[Exception], ...] = (NotFound,),
) -> T:
    """``work`` with the migrated store and a logged-in AMI connection.  An AMI failure or
    one of ``errors`` is printed as ``<command>: <message>`` and exits with
    :data:`EXIT_FAILED`."""

    async def main() -> T:
        async with Database.from_settings(settings) as db:
            await db.upgrade()
            ami = ami_client(settings, AmiRole.CLI)
            await ami.start(wait=False)
            try:
                await ami.wait_connected(AMI_CONNECT_SECONDS)
                return await work(db, ami)
            finally:
                await ami.stop()

    caught: tuple[type[Exception], ...] = (AmiError, UnknownSchema, *errors)
    try:
        return asyncio.run(main())
    except caught as exc:
        fail(command, exc)


def parse_when(value: str, settings: Settings, *, end: bool = False) -> datetime:
    """A date (local midnight; as the end: the day after) or ISO date-time
    (hotline.core.report_period), in the hours' time zone."""
    try:
        return parse_moment(value, ZoneInfo(settings.hours.timezone), end_of_day=end)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


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
