"""hotline backup DIR / hotline restore DIR: the store (SQLite's online backup, or pg_dump),
the recordings index and a manifest with checksums; a restore checks them first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hotline.cli.context import settings_of
from hotline.cli.support import run_with_db
from hotline.contact_center.recordings import recordings_root
from hotline.store import backup as backups
from hotline.store.db import Database, head_revision


def backup(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="A new (or empty) folder for the backup.")],
) -> None:
    """Back up the store while the engine runs, with an index of the recordings folder (copy
    the audio itself with rsync or your backup tool) and a manifest of checksums."""
    settings = settings_of(ctx)

    async def work(db: Database) -> backups.Manifest:
        return await backups.backup(db, folder, recordings_root(settings))

    manifest = run_with_db(
        settings, work, command="backup", migrate=False, errors=(backups.BackupError,)
    )
    typer.echo(
        f"backup: schema {manifest.schema_revision}, {manifest.backend}, "
        f"{len(manifest.files)} file(s) in {folder}"
    )


def restore(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="A folder `hotline backup` wrote.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a store that already has tables.")
    ] = False,
) -> None:
    """Restore a backup into the configured store (stop the engine and console first): the
    manifest's checksums are verified, a newer schema is refused, and a store that is not
    empty is replaced only with --force."""
    settings = settings_of(ctx)

    async def work(db: Database) -> tuple[backups.Manifest, str | None]:
        return await backups.restore(db, folder, force=force), await head_revision()

    manifest, head = run_with_db(
        settings, work, command="restore", migrate=False, errors=(backups.BackupError,)
    )
    typer.echo(
        f"restore: schema {manifest.schema_revision} from the backup of {manifest.created_at} "
        f"(hotline {manifest.hotline_version})"
    )
    if manifest.schema_revision != head:
        typer.echo(f"restore: the schema is behind {head}: run `hotline db upgrade`")
