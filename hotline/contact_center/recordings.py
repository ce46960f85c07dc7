"""Call recordings: where MixMonitor writes them (the IVR starts it right after the recording
notice: :mod:`hotline.contact_center.recording_start`), and export (zip of browser-playable
audio + CSV manifest), purge after the retention period.  Every listing, play, download,
export and purge is written to the audit log here, so the CLI and the console cannot differ in
what they record."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from hotline.core.clock import utc_now
from hotline.core.files import create_private
from hotline.core.spreadsheets import Cell, csv_rows
from hotline.settings import Settings
from hotline.store.audit import Actor
from hotline.store.recordings import RecordingRecord, Recordings

log = logging.getLogger(__name__)

# Asterisk's "wav" format: 8 kHz, 16-bit signed linear, a 44-byte header.
WAV_HEADER_BYTES: Final = 44
WAV_BYTES_PER_SECOND: Final = 16_000
# Recording folders belong to the engine's user; nobody else gets any access.  0750 when
# Asterisk runs as the engine's user; a recordings root shared with Asterisk's group (the
# sandbox, or a production root an administrator set to ``chgrp asterisk; chmod 2770``) passes
# its group (setgid) and group write on to every folder below it, so MixMonitor can write.
DIR_MODE: Final = 0o750
SHARED_DIR_MODE: Final = 0o2770
SOX_TIMEOUT: Final = 120.0
MANIFEST: Final = "manifest.csv"
MANIFEST_FIELDS: Final = (
    "recording_id",
    "call_id",
    "file",
    "caller",
    "account",
    "operator",
    "started_at",
    "duration",
)


class RecordingError(RuntimeError):
    pass


def recordings_root(settings: Settings) -> Path:
    """``paths.recordings_dir``, absolute (Asterisk writes by the same absolute path)."""
    return settings.paths.recordings_dir.expanduser().resolve()


def recording_path(settings: Settings, call_id: str, at: datetime) -> Path:
    """recordings/YYYY/MM/DD/<call id>.wav (the date in UTC, like every stored time)."""
    day = at.astimezone(UTC)
    return recordings_root(settings) / f"{day:%Y/%m/%d}" / f"{call_id}.wav"


def folder_mode(root: Path) -> int:
    """The mode of a new folder under ``root``: the root's owner and group bits (0750 at the
    least, setgid and group write when the root is shared with Asterisk's group), never any
    access for other users."""
    try:
        shared = root.stat().st_mode & SHARED_DIR_MODE
    except FileNotFoundError:
        shared = 0
    return shared | DIR_MODE


def make_dirs(path: Path, root: Path) -> None:
    """Create the recording's directory (``path``, a folder inside ``root``) and the folders
    above it, with :func:`folder_mode`."""
    if not root.exists():
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(root, DIR_MODE)
    mode = folder_mode(root)
    missing = []
    directory = path
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=0o700)
        os.chmod(directory, mode)


def share_folders(root: Path, group: int) -> int:
    """Give the folders below ``root`` its group and :data:`SHARED_DIR_MODE`, as
    :func:`make_dirs` makes them once ``root`` is shared with Asterisk's group; returns how
    many it changed.  For folders made before the root was shared (a day's folder made by a
    command or a test before the sandbox first started): MixMonitor could not write in them.
    Folders only; the files keep their owner and mode."""
    changed = 0
    pending = [root]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if not entry.is_dir(follow_symlinks=False):
                    continue
                pending.append(Path(entry.path))
                status = entry.stat(follow_symlinks=False)
                if status.st_gid != group or stat.S_IMODE(status.st_mode) != SHARED_DIR_MODE:
                    os.chown(entry.path, -1, group)
                    os.chmod(entry.path, SHARED_DIR_MODE)
                    changed += 1
    return changed


def inside_recordings(root: Path, path: str | Path) -> Path | None:
    """The one check before a recording's file is served, transcoded, exported or purged:
    its path with every symlink resolved, when that is a regular file inside ``root`` (the
    resolved recordings folder); None when it is missing, not a file, or outside the folder
    (a symlink or ``..`` pointing out of it is never followed)."""
    try:
        resolved = Path(path).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(root) or not resolved.is_file():
        return None
    return resolved


def wav_seconds(path: Path) -> float | None:
    """Seconds of audio in a MixMonitor WAV file (None if it does not exist)."""
    try:
        return wav_duration(path.stat().st_size)
    except FileNotFoundError:
        return None


def wav_duration(size: int | None) -> float | None:
    """Seconds of audio in a MixMonitor WAV file of ``size`` bytes (None: no file)."""
    if size is None:
        return None
    return round(max(size - WAV_HEADER_BYTES, 0) / WAV_BYTES_PER_SECOND, 2)


def empty_file(path: Path) -> bool:
    """MixMonitor wrote nothing, not even its header (the disk was full when it started):
    the file is there with no byte in it.  Blocking: run it in a thread."""
    try:
        return path.stat().st_size == 0
    except FileNotFoundError:
        return False


def _remove_empty(path: Path) -> bool:
    if not empty_file(path):
        return False
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    return True


async def discard_unwritten(recordings: Recordings, path: Path, call: str) -> bool:
    """A recording whose file MixMonitor could not write (:func:`empty_file`) is not kept
    as a good one: the empty file is removed, its index row (if any) marked unwritten, and
    an alert logged (the call itself went on).  False when the file has content."""
    if not await asyncio.to_thread(_remove_empty, path):
        return False
    await recordings.unwritten(str(path))
    log.error(
        "ALERT recordings: the recording of call %s could not be written (empty file %s,"
        " the disk was full?): not kept",
        call,
        path.name,
    )
    return True


def prepared_file(settings: Settings, name: str, at: datetime) -> Path:
    """A recording's file (:func:`recording_path`) with its folder created.  Blocking: run
    it in a thread."""
    path = recording_path(settings, name, at)
    make_dirs(path.parent, recordings_root(settings))
    return path


# --- search, play, download -------------------------------------------------------------------
async def search(
    recordings: Recordings,
    by: Actor,
    filters: dict[str, Any],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    call_id: str | None = None,
    caller: str | None = None,
    account: str | None = None,
    operator: str | None = None,
    limit: int | None = None,
) -> list[RecordingRecord]:
    """Recordings found (see :meth:`Recordings.find`); the listing is audited with the
    ``filters`` as the person gave them."""
    found = await recordings.find(
        start=start,
        end=end,
        call_id=call_id,
        caller=caller,
        account=account,
        operator=operator,
        limit=limit,
    )
    await recordings.audit("list", by, [r.id for r in found], filters)
    return found


async def _playable(
    recordings: Recordings, root: Path, recording_id: int, operator: str | None
) -> RecordingRecord | None:
    """The recording with its path resolved (:func:`inside_recordings`), or None."""
    found = await recordings.find(recording_id=recording_id, operator=operator)
    if not found:
        return None
    resolved = await asyncio.to_thread(inside_recordings, root, found[0].path)
    if resolved is None:
        return None
    return replace(found[0], path=str(resolved))


async def play(
    recordings: Recordings,
    by: Actor,
    recording_id: int,
    *,
    root: Path,
    operator: str | None = None,
) -> RecordingRecord | None:
    """The recording to play as it is (its file exists inside ``root``; ``path`` is the
    resolved one to open), audited; None when there is none (of ``operator``'s calls, when
    given)."""
    record = await _playable(recordings, root, recording_id, operator)
    if record is not None:
        await recordings.audit("play", by, [record.id])
    return record


async def download(
    recordings: Recordings,
    by: Actor,
    recording_id: int,
    directory: Path,
    *,
    root: Path,
    operator: str | None = None,
) -> Path | None:
    """The recording transcoded to an MP3 in ``directory`` (off the event loop), audited once
    it is there; None when there is none (of ``operator``'s calls, when given).  Raises
    RecordingError when sox fails."""
    record = await _playable(recordings, root, recording_id, operator)
    if record is None:
        return None
    target = directory / f"{file_stem(record)}.mp3"
    await asyncio.to_thread(transcode, Path(record.path), target)
    await recordings.audit("download", by, [record.id])
    return target


def file_stem(record: RecordingRecord) -> str:
    """A file name people can sort: the start time, then the call."""
    return f"{record.started_at:%Y%m%d-%H%M%S}-{record.call_id or record.uniqueid}"


# --- export ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportResult:
    path: Path
    recordings: int
    missing: tuple[int, ...]


def transcode(source: Path, target: Path) -> None:
    """Blocking (sox): the format follows the target's extension."""
    result = subprocess.run(
        ["sox", str(source), str(target)],
        capture_output=True,
        timeout=SOX_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise RecordingError(
            f"sox could not convert {source.name}: {result.stderr.decode(errors='replace')}"
        )


def export_zip(
    records: Sequence[RecordingRecord], target: Path, audio_format: str, *, root: Path
) -> ExportResult:
    """Blocking (sox, zip): run it in a thread.  Files are transcoded to ``audio_format``
    (mp3 by default: every browser plays it); the manifest lists every recording.  A file
    that is not inside ``root`` (:func:`inside_recordings`) counts as missing; the archive
    is created 0600."""
    manifest: list[tuple[Cell, ...]] = [MANIFEST_FIELDS]
    missing = []
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp")
    with (
        tempfile.TemporaryDirectory() as work,
        os.fdopen(create_private(temp), "wb") as handle,
        zipfile.ZipFile(handle, "w") as archive,
    ):
        for record in records:
            source = inside_recordings(root, record.path)
            member = f"{file_stem(record)}.{audio_format}"
            if source is None:
                missing.append(record.id)
                member = ""
            elif audio_format == "wav":
                archive.write(source, member)
            else:
                converted = Path(work) / member
                transcode(source, converted)
                archive.write(converted, member)
            manifest.append(
                (
                    record.id,
                    record.call_id or "",
                    member,
                    record.caller or "",
                    record.account or "",
                    record.operator or "",
                    record.started_at.isoformat(),
                    "" if record.duration is None else record.duration,
                )
            )
        # Through the one spreadsheet writer: the caller ID comes from the SIP peer.
        archive.writestr(MANIFEST, csv_rows(manifest, delimiter=","))
    os.replace(temp, target)
    return ExportResult(target, len(records) - len(missing), tuple(missing))


async def export(
    recordings: Recordings,
    settings: Settings,
    target: Path,
    *,
    by: Actor,
    call_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> ExportResult:
    records = await recordings.find(start=start, end=end, call_id=call_id)
    result = await asyncio.to_thread(
        export_zip,
        records,
        target,
        settings.recording.export_format,
        root=recordings_root(settings),
    )
    await recordings.audit(
        "export",
        by,
        [r.id for r in records],
        {"file": str(target), "call_id": call_id, "from": _iso(start), "to": _iso(end)},
    )
    return result


# --- purge -----------------------------------------------------------------------------------
def _delete(paths: list[str], root: Path) -> None:
    for path in paths:
        if inside_recordings(root, path) is None:
            continue  # gone already, or not ours to delete
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # the entry itself: unlink never follows a symlink


async def purge(
    recordings: Recordings,
    retention_days: int,
    *,
    by: Actor,
    root: Path,
    now: datetime | None = None,
) -> list[int]:
    """Delete recordings older than the retention period (files; index rows are kept and
    marked purged, so the audit log still points at something); only files inside ``root``
    are deleted (:func:`inside_recordings`).  Returns their ids."""
    cutoff = (now or utc_now()) - timedelta(days=retention_days)
    old = await recordings.find(end=cutoff)
    if not old:
        return []
    await asyncio.to_thread(_delete, [r.path for r in old], root)
    purged_at = utc_now()
    for record in old:
        await recordings.update(record.id, purged_at=purged_at)
    await recordings.audit("purge", by, [r.id for r in old], {"retention_days": retention_days})
    log.info("purged %d recordings older than %s", len(old), cutoff.isoformat())
    return [r.id for r in old]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
