"""Issue 21 item 3: the wallboard shows when calls are not recorded for lack of disk space."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hotline.settings import ResilienceSettings, Settings
from hotline.web.app import create_app
from tests.web.conftest import log_in


def board(settings: Settings, min_free_mb: int) -> str:
    limited = settings.model_copy(
        update={"resilience": ResilienceSettings(recordings_min_free_mb=min_free_mb)}
    )
    with TestClient(create_app(limited), base_url="http://127.0.0.1") as client:
        log_in(client, "boris")
        return client.get("/wallboard").text


def test_the_wallboard_flags_recordings_without_disk_space(settings: Settings) -> None:
    html = board(settings, 10**12)  # more than any disk has free
    assert 'id="recordings-low"' in html
    assert "звонки сейчас не записываются" in html
    assert 'id="recordings-low"' not in board(settings, 0)
