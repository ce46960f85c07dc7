"""``hotline backup DIR`` and ``hotline restore DIR``: the store, an index of the recordings
folder, and a manifest that makes a damaged or foreign backup detectable.

A backup folder holds the store's copy (``hotline.db`` or ``hotline.pgdump``, see
:mod:`hotline.store.dump`), ``recordings.csv`` (every file under the recordings folder: its
path, size and time; the audio itself is copied with the file system's tools) and
``manifest.json``: the sha256 and size of each of those files, the schema revision, the time
and the hotline version.  A restore checks all of it before it touches the store, refuses a
schema newer than this hotline knows and will not overwrite a store that has tables unless
forced.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Final

from hotline.core.files import PRIVATE_DIR_MODE, write_private
from hotline.core.spreadsheets import csv_rows
from hotline.store import dump
from hotline.store.db import Database, UnknownSchema, head_revision, known_revision

MANIFEST: Final = "manifest.json"
RECORDINGS_INDEX: Final = "recordings.csv"
FORMAT: Final = "hotline-backup"
FORMAT_VERSION: Final = 1
INDEX_FIELDS: Final = ("path", "bytes", "modified_utc")


class BackupError(RuntimeError):
    """The backup or restore was refused or failed; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    schema_revision: str
    created_at: str
    hotline_version: str
    backend: str
    files: dict[str, dict[str, Any]]

    def to_json(self) -> str:
        document = {"format": FORMAT, "format_version": FORMAT_VERSION, **self.__dict__}
        return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        try:
            document = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise BackupError(f"{folder} is not a hotline backup: no {MANIFEST}") from exc
        except (OSError, ValueError) as exc:
            raise BackupError(f"{folder / MANIFEST} is unreadable: {exc}") from exc
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise BackupError(f"{folder / MANIFEST} is not a hotline backup manifest")
        if document.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"backup format {document.get('format_version')} is not {FORMAT_VERSION}: "
                "restore it with the hotline version that made it"
            )
        try:
            return cls(
                schema_revision=str(document["schema_revision"]),
                created_at=str(document["created_at"]),
                hotline_version=str(document["hotline_version"]),
                backend=str(document["backend"]),
                files=dict(document["files"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BackupError(f"{folder / MANIFEST} lacks {exc}") from exc


def hotline_version() -> str:
    try:
        return metadata.version("hotline")
    except metadata.PackageNotFoundError:
        return "unknown"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _describe(folder: Path, names: list[str]) -> dict[str, dict[str, Any]]:
    return {
        name: {"bytes": (folder / name).stat().st_size, "sha256": _sha256(folder / name)}
        for name in names
    }


def recordings_index(root: Path) -> bytes:
    """Every file under ``root`` (path relative to it, bytes, modification time in UTC)."""
    rows: list[tuple[str | int, ...]] = [INDEX_FIELDS]
    if root.is_dir():
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            for name in sorted(files):
                path = Path(folder) / name
                info = path.stat()
                moment = datetime.fromtimestamp(info.st_mtime, UTC)
                rows.append((str(path.relative_to(root)), info.st_size, moment.isoformat()))
    return csv_rows(rows, delimiter=",").encode("utf-8")


def _new_folder(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} exists and is not an empty folder: give a new one")
    folder.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    os.chmod(folder, PRIVATE_DIR_MODE)  # personal data: the owner only


async def backup(db: Database, folder: Path, recordings: Path) -> Manifest:
    """The store and the recordings index into the new ``folder``, the manifest last."""
    revision = await db.current_revision()
    if revision is None:
        raise BackupError("the store has no schema yet: nothing to back up")
    if not await known_revision(revision):
        raise UnknownSchema(revision, await head_revision())
    await asyncio.to_thread(_new_folder, folder)
    name = dump.dump_file(db)
    try:
        await dump.dump(db, folder / name)
    except dump.DumpError as exc:
        raise BackupError(str(exc)) from exc
    index = await asyncio.to_thread(recordings_index, recordings)
    await asyncio.to_thread(write_private, folder / RECORDINGS_INDEX, index)
    files = await asyncio.to_thread(_describe, folder, [name, RECORDINGS_INDEX])
    manifest = Manifest(
        schema_revision=revision,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        hotline_version=hotline_version(),
        backend=db.engine.dialect.name,
        files=files,
    )
    await asyncio.to_thread(write_private, folder / MANIFEST, manifest.to_json().encode())
    return manifest


def verify(folder: Path) -> Manifest:
    """The manifest, once every file it lists is there with its size and checksum, and
    nothing else is; BackupError names the first difference."""
    manifest = Manifest.read(folder)
    present = {p.name for p in folder.iterdir()} - {MANIFEST}
    if unlisted := sorted(present - set(manifest.files)):
        raise BackupError(f"backup damaged: {', '.join(unlisted)} not in the manifest")
    for name, expected in sorted(manifest.files.items()):
        path = folder / name
        if Path(name).name != name or not path.is_file():
            raise BackupError(f"backup damaged: {name} is missing")
        if path.stat().st_size != expected.get("bytes") or _sha256(path) != expected.get("sha256"):
            raise BackupError(f"backup damaged: {name} does not match its sha256 in the manifest")
    return manifest


async def restore(db: Database, folder: Path, *, force: bool = False) -> Manifest:
    """The backup in ``folder`` into the store (see the module's docstring for the checks)."""
    manifest = await asyncio.to_thread(verify, folder)
    if not await known_revision(manifest.schema_revision):
        raise BackupError(
            f"the backup's schema {manifest.schema_revision} (hotline "
            f"{manifest.hotline_version}) is newer than this hotline knows (its newest is "
            f"{await head_revision()}): restore it with that version or a later one"
        )
    backend = db.engine.dialect.name
    if manifest.backend != backend:
        raise BackupError(
            f"the backup is of a {manifest.backend} store and the configured store (store.url) "
            f"is {backend}"
        )
    name = dump.dump_file(db)
    if name not in manifest.files:
        raise BackupError(f"backup damaged: no {name} in the manifest")
    if not force and not await dump.is_empty(db):
        raise BackupError(
            "the configured store is not empty: restore into a new database, or give --force "
            "to replace everything in it"
        )
    try:
        await dump.restore(db, folder / name)
    except dump.DumpError as exc:
        raise BackupError(str(exc)) from exc
    return manifest
