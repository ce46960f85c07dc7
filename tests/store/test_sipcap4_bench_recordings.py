"""sipcap4: the SIP menu bench deletes the recordings of its own calls at its end, and only
those: the twin's by their name, the engine's from its call log's index (the bench's caller,
since the run began); another caller's file, an older one and one outside the folder stay."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bench.sip_menu_cleanup import remove_own_recordings
from bench.sip_menu_walk import CALLER
from hotline.core.clock import utc_now
from hotline.settings import load_settings
from hotline.store.db import Database
from hotline.store.recordings import Recordings


def _file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF")
    return path


def test_the_bench_removes_its_own_recordings_and_nothing_else(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}"
    root = tmp_path / "recordings"
    since = utc_now()
    day = root / f"{since:%Y/%m/%d}"
    twin = _file(day / "hbench-1.1.wav")
    engine = _file(day / "call-1.wav")
    other_caller = _file(day / "call-2.wav")
    before_run = _file(day / "call-3.wav")
    outside = _file(tmp_path / "elsewhere" / "call-4.wav")

    async def index() -> None:
        db = Database(url)
        await db.upgrade()
        recordings = Recordings(db)
        await recordings.started("1.2", str(engine), caller=CALLER)
        await recordings.started("1.3", str(other_caller), caller="79990000000")
        early = since - timedelta(hours=1)
        await recordings.started("1.4", str(before_run), caller=CALLER, at=early)
        await recordings.started("1.5", str(outside), caller=CALLER)
        await db.dispose()

    asyncio.run(index())
    settings = load_settings(overrides={"store": {"url": url}})
    assert remove_own_recordings(root, settings, since) == 2
    assert not twin.exists() and not engine.exists()
    assert other_caller.exists() and before_run.exists() and outside.exists()
