"""What the dialer's commands (``hotline campaign``, ``scenario``, ``dnc``) share: the
database runner that prints refusals as ``campaign: <message>``, and who does it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from dialer.repository import CampaignError
from hotline.cli.context import settings_of
from hotline.cli.support import current_user, run_with_db
from hotline.core.errors import NotFound
from hotline.store.audit import Actor
from hotline.store.db import Database

T = TypeVar("T")
ByOpt = Annotated[str | None, typer.Option("--by", help="Who does it (default: $USER).")]


def run_dialer(ctx: typer.Context, work: Callable[[Database], Awaitable[T]]) -> T:
    """``work`` against the database; a refusal or a name not found is printed as
    ``campaign: <message>`` and exits with EXIT_FAILED."""
    return run_with_db(
        settings_of(ctx), work, command="campaign", errors=(CampaignError, NotFound)
    )


def actor(by: str | None) -> Actor:
    """``--by``, or the OS login name, as the audit log's actor."""
    return Actor(by or current_user(), "cli")
