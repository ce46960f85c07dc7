"""Recordings in the console: search, play, download (MP3), who may hear what, and the audit
trail; real WAV files made by sox."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from hotline.contact_center.recordings import recordings_root
from hotline.settings import Settings
from hotline.store.audit import AuditLog, AuditRecord
from hotline.store.db import Database
from hotline.store.recordings import Recordings
from tests.web.conftest import log_in


def wav(path: Path, seconds: int) -> str:
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", str(path), "synth", str(seconds), "sine", "440"],
        check=True,
    )
    return str(path)


def seed(settings: Settings, tmp_path: Path) -> dict[str, int]:
    now = datetime.now(UTC)
    rows = {
        "anna": ("1.1", "79131234567", "240000000001", now - timedelta(hours=1)),
        "gleb": ("1.2", "79139876543", "240000000002", now - timedelta(hours=2)),
    }

    # The console serves only files inside the recordings folder.
    folder = recordings_root(settings)
    folder.mkdir(parents=True, exist_ok=True)

    async def work() -> dict[str, int]:
        ids = {}
        async with Database.from_settings(settings) as db:
            recordings = Recordings(db)
            for operator, (uniqueid, caller, account, at) in rows.items():
                path = wav(folder / f"{uniqueid}.wav", 2)
                rid = await recordings.started(uniqueid, path, caller=caller, at=at)
                await recordings.update(rid, operator=operator, account=account, duration=2.0)
                ids[operator] = rid
        return ids

    return asyncio.run(work())


def audit(settings: Settings) -> list[AuditRecord]:
    async def read() -> list[AuditRecord]:
        async with Database.from_settings(settings) as db:
            return await AuditLog(db).entries()

    return asyncio.run(read())


def test_supervisor_searches_plays_and_downloads(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    ids = seed(settings, tmp_path)
    log_in(client, "boris")
    everything = client.get("/recordings").text
    assert f'data-recording="{ids["anna"]}"' in everything
    assert f'data-recording="{ids["gleb"]}"' in everything
    by_digits = client.get("/recordings?caller=4567").text
    assert f'data-recording="{ids["anna"]}"' in by_digits
    assert f'data-recording="{ids["gleb"]}"' not in by_digits
    by_account = client.get("/recordings?account=240000000002").text
    assert f'data-recording="{ids["gleb"]}"' in by_account and "79131234567" not in by_account

    audio = client.get(f"/recordings/{ids['anna']}/audio")
    assert audio.headers["content-type"] == "audio/wav" and audio.content[:4] == b"RIFF"
    mp3 = client.get(f"/recordings/{ids['anna']}/download")
    assert mp3.headers["content-type"] == "audio/mpeg"
    assert "attachment" in mp3.headers["content-disposition"]
    assert mp3.content[:3] == b"ID3" or mp3.content[0] == 0xFF
    actions = [(e.actor, e.channel, e.action) for e in audit(settings)]
    for action in ("recordings.list", "recordings.play", "recordings.download"):
        assert ("boris", "web", action) in actions


def test_operator_hears_only_own_calls(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    ids = seed(settings, tmp_path)
    log_in(client, "anna")
    html = client.get("/recordings?operator=gleb").text  # the filter cannot be lifted
    assert f'data-recording="{ids["anna"]}"' in html
    assert f'data-recording="{ids["gleb"]}"' not in html
    assert client.get(f"/recordings/{ids['gleb']}/audio").status_code == 404
    assert client.get(f"/recordings/{ids['anna']}/audio").status_code == 200
