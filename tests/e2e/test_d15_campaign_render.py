"""What a campaign callee hears, rendered with the real prompt build and TTS (no call): the
intro greets by the callee's local time of day (R-048)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dialer.engine import Dialer
from dialer.live import PreparedStep
from dialer.model import TEMPLATES, CampaignKind, Scenario
from dialer.repository import DialerStore
from hotline.settings import Settings
from hotline.speech import audio
from hotline.speech.catalogue import Catalogue
from hotline.speech.library import PromptLibrary
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.transport.ami import AmiClient
from tests.e2e.engine_support import engine_settings

pytestmark = pytest.mark.e2e

DEBT = {"amount": "1520.30", "due_date": "2026-12-10"}


async def render(
    settings: Settings, at: datetime, scenario: Scenario, values: dict[str, str], zone: str
) -> list[PreparedStep]:
    db = Database(settings.database_url)
    try:
        dialer = Dialer(
            settings.dialer,
            DialerStore(db),
            AmiClient(settings.ami, "unused"),
            PromptLibrary(settings),
            CallLog(db),
            clock=lambda: at,
            greeting=settings.greeting,
        )
        return await dialer.render(scenario, values, zone)
    finally:
        await db.dispose()


@pytest.mark.parametrize(
    ("at", "zone", "greeting"),
    [
        (datetime(2026, 11, 24, 1, 0, tzinfo=UTC), "Asia/Krasnoyarsk", "Доброе утро!"),
        (datetime(2026, 11, 24, 12, 0, tzinfo=UTC), "Asia/Krasnoyarsk", "Добрый вечер!"),
        (datetime(2026, 11, 24, 12, 0, tzinfo=UTC), "Europe/Moscow", "Добрый день!"),
    ],
)
async def test_the_intro_starts_with_the_greeting_of_the_callee_time(
    at: datetime, zone: str, greeting: str, tmp_path: Path
) -> None:
    settings = engine_settings(tmp_path / "hotline.db")
    steps = await render(settings, at, TEMPLATES[CampaignKind.DEBT], DEBT, zone)
    catalogue = Catalogue.load(settings.paths.prompts_dir, settings.speech.company_name)
    first = steps[0]
    assert catalogue.require(first.label, "test").text.startswith(greeting)
    assert audio.sound_exists(Path(first.sound.path_without_extension))
    assert first.sound.duration > 0.5
