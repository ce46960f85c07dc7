"""The engine's daily jobs on APScheduler: the recordings purge is scheduled at
recording.purge_at local time and purges what the retention period allows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hotline.contact_center.housekeeping import Housekeeping, parse_hhmm
from hotline.settings import load_settings
from hotline.store.db import Database
from hotline.store.recordings import Recordings


async def test_purge_job_is_scheduled_and_purges(db: Database, tmp_path: Path) -> None:
    await db.upgrade()
    settings = load_settings(
        environ={},
        overrides={
            "recording": {"retention_days": 10, "purge_at": "03:30"},
            # The purge deletes only files inside the recordings folder.
            "paths": {"recordings_dir": str(tmp_path)},
        },
    )
    recordings = Recordings(db)
    old_file = tmp_path / "old.wav"
    old_file.write_bytes(b"\0" * 100)
    old = await recordings.started(
        "u-old", str(old_file), caller=None, at=datetime.now(UTC) - timedelta(days=11)
    )
    await recordings.started("u-new", str(tmp_path / "new.wav"), caller=None)
    jobs = Housekeeping(settings, recordings)
    jobs.start()
    try:
        next_run = jobs.next_purge()
        assert next_run is not None
        local = datetime.fromisoformat(next_run).astimezone(ZoneInfo(settings.hours.timezone))
        assert (local.hour, local.minute) == (3, 30)
        assert await jobs.purge_recordings() == [old]
    finally:
        jobs.stop()
    assert not old_file.exists()
    (entry,) = await recordings.audit_log()
    assert entry["by"] == "hotline-engine" and entry["action"] == "purge"


def test_purge_time_must_be_a_time_of_day() -> None:
    assert parse_hhmm("03:30") == (3, 30)
    with pytest.raises(ValueError):
        parse_hhmm("25:00")
