"""The SIP menu bench's own recordings, deleted at its end: the twin's by their name and the
engine's from its call log's index (:mod:`bench.sip_menu`); nobody else's."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from bench.dialplan_menu import remove_recordings
from bench.sip_menu_walk import CALLER
from hotline.contact_center.recordings import inside_recordings
from hotline.core.clock import utc_now
from hotline.settings import Settings
from hotline.store.db import Database
from hotline.store.recordings import Recordings


async def _engine_recordings(settings: Settings, since: datetime) -> list[str]:
    """The files of the engine's recordings of the bench's calls (its call log's index)."""
    db = Database(settings.database_url)
    try:
        found = await Recordings(db).find(start=since, caller=CALLER, include_purged=True)
    finally:
        await db.dispose()
    return [r.path for r in found]


def remove_own_recordings(root: Path, settings: Settings, since: datetime) -> int:
    """Delete the recordings this run's calls left under ``root`` (the sandbox's recordings
    folder): the twin's and the engine's; the count."""
    removed = remove_recordings(root, since, utc_now())
    try:
        paths = asyncio.run(_engine_recordings(settings, since))
    except Exception as error:  # no call log (the engine never started): nothing indexed
        print(f"sip_menu: the engine's recordings not listed: {error}")
        paths = []
    for path in paths:
        resolved = inside_recordings(root, path)
        if resolved is not None:
            resolved.unlink(missing_ok=True)
            removed += 1
    return removed
