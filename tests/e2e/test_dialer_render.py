"""Every built-in scenario renders with the real prompt build and TTS before dialling: the
catalogue prompts exist, personal values are composed or synthesised into playable sounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.engine import Dialer
from dialer.model import TEMPLATES, CampaignKind
from dialer.repository import DialerStore
from hotline.speech import audio
from hotline.speech.library import PromptLibrary
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.transport.ami import AmiClient
from tests.e2e.engine_support import engine_settings

pytestmark = pytest.mark.e2e

VALUES = {
    CampaignKind.DEBT: {"amount": "1520.30", "due_date": "2026-12-10"},
    CampaignKind.OUTAGE: {
        "outage_date": "2026-12-03",
        "time_from": "09:00",
        "time_to": "17:30",
        "address": "улица Ленина, дом пять",
        # every field the seed lists.
        "organisation": "Россети Сибирь",
        "work_type": "замена опор",
        "reason": "плановый ремонт",
        "responsible": "мастер участка Иванов Иван Иванович",
        "contact_phone": "83912223344",
    },
    CampaignKind.TARIFF: {"tariff_date": "2027-01-01"},
}


@pytest.mark.parametrize("kind", list(VALUES))
async def test_templates_render_before_dialling(kind: CampaignKind, tmp_path: Path) -> None:
    settings = engine_settings(tmp_path / "hotline.db")
    db = Database(settings.database_url)
    try:
        dialer = Dialer(
            settings.dialer,
            DialerStore(db),
            AmiClient(settings.ami, "unused"),
            PromptLibrary(settings),
            CallLog(db),
        )
        steps = await dialer.render(TEMPLATES[kind], VALUES[kind], settings.hours.timezone)
    finally:
        await db.dispose()
    assert len(steps) == len(TEMPLATES[kind].steps)
    assert any(step.key for step in steps)
    for step in steps:
        assert step.sound.duration > 0.2, step.label
        assert audio.sound_exists(Path(step.sound.path_without_extension)), step.label
