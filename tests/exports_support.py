"""Many appeals at once for the export tests: one core INSERT per batch (registering 10,001
appeals one by one through the register would take minutes, and the export only reads).  The
filler is the exports benchmark's own."""

from __future__ import annotations

from typing import Final

from bench.exports import fill_appeals
from hotline.store.db import Database

# The cap the register's exports had before they were streamed.
OLD_CAP: Final = 10_000


async def add_appeals(db: Database, count: int) -> None:
    """Appeals 2026-000001 .. 2026-<count>, registered a second apart."""
    await fill_appeals(db, count)
