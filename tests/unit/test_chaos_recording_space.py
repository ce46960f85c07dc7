"""Issue 21 item 3: recordings on a full disk fail visibly.  Below
``resilience.recordings_min_free_mb`` free, a call is not recorded (MixMonitor would write an
empty or cut file without a word), an alert is logged once, and the call proceeds."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from hotline.contact_center import recording_space as space_module
from hotline.contact_center.recording_start import start_recording
from hotline.settings import Settings, load_settings
from hotline.store.recordings import Recordings
from hotline.transport.agi_call import AgiCall


class Agi:
    def __init__(self) -> None:
        self.env = SimpleNamespace(uniqueid="1700000000.1", callerid="79131234567")
        self.executed: list[tuple[str, str]] = []

    async def get_variable(self, name: str) -> str | None:
        return None

    async def exec(self, application: str, data: str) -> None:
        self.executed.append((application, data))

    async def set_variable(self, name: str, value: str) -> None:
        pass


class Index:
    def __init__(self) -> None:
        self.started: list[str] = []

    async def started_(self, uniqueid: str, path: str, **_: Any) -> None:
        self.started.append(path)
        return None


def settings_for(tmp_path: Path, min_free_mb: int) -> Settings:
    return load_settings(
        environ={},
        overrides={
            "paths": {"recordings_dir": str(tmp_path / "recordings")},
            "resilience": {"recordings_min_free_mb": min_free_mb},
        },
    )


async def record(settings: Settings) -> tuple[Agi, Index]:
    agi, index = Agi(), Index()
    recordings = cast(Recordings, SimpleNamespace(index_soon=index.started_))
    await start_recording(cast(AgiCall, agi), settings, recordings)
    return agi, index


async def test_a_call_is_recorded_when_space_is_enough(tmp_path: Path) -> None:
    agi, index = await record(settings_for(tmp_path, 0))
    assert [app for app, _ in agi.executed] == ["MixMonitor"]
    assert len(index.started) == 1


async def test_below_the_minimum_the_call_is_not_recorded_and_an_alert_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(space_module, "LOW_SPACE_ALERT", space_module._LowSpaceAlert())
    monkeypatch.setattr(
        "hotline.contact_center.recording_start.LOW_SPACE_ALERT", space_module.LOW_SPACE_ALERT
    )
    full = settings_for(tmp_path, 10**12)  # more than any disk has free
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            agi, index = await record(full)
            assert agi.executed == [] and index.started == []
        alerts = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(alerts) == 1 and "ALERT recordings" in alerts[0].getMessage()
        # Space is back: recorded again, and said so.
        agi, _ = await record(settings_for(tmp_path, 0))
    assert [app for app, _ in agi.executed] == ["MixMonitor"]
    assert any("free again" in r.getMessage() for r in caplog.records)


def test_space_of_a_folder_not_yet_created_is_its_disk(tmp_path: Path) -> None:
    space = space_module.recording_space(settings_for(tmp_path / "a" / "b", 1))
    assert space.free_mb > 0 and not space.low
