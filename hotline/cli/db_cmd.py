"""hotline db: the database schema (Alembic migrations shipped with the package)."""

from __future__ import annotations

import typer

from hotline.cli.context import settings_of
from hotline.cli.support import run_with_db
from hotline.store.db import Database, head_revision

app = typer.Typer(no_args_is_help=True, help=__doc__)


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Migrate the database to the newest schema and print its revision."""

    async def work(db: Database) -> str | None:
        return await db.upgrade()

    revision = run_with_db(settings_of(ctx), work, migrate=False, command="db", errors=())
    typer.echo(revision or "none")


@app.command()
def current(ctx: typer.Context) -> None:
    """Print the database's schema revision and whether it is the newest."""

    async def work(db: Database) -> tuple[str | None, str | None]:
        return await db.current_revision(), await head_revision()

    revision, head = run_with_db(settings_of(ctx), work, migrate=False, command="db", errors=())
    note = "(head)" if revision == head else f"(head is {head}; run: hotline db upgrade)"
    typer.echo(f"{revision or 'none'} {note}")
