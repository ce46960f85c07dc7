"""R-048: a campaign's intro greets by the time of day in the callee's own zone, with the
IVR's rule and boundaries (hotline.speech.greeting)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any, cast

import pytest

from dialer.model import INTRO_PROMPT, TEMPLATES, CampaignKind
from dialer.playback import ScenarioPlayer
from hotline.settings import DialerSettings, GreetingSettings
from hotline.speech.catalogue import Catalogue
from hotline.speech.greeting import PartOfDay, greeting_variant, part_of_day
from hotline.speech.library import Sound
from ivr import prompts
from ivr.greeting import greeting_prompt

ROOT = Path(__file__).resolve().parents[2]
KRASNOYARSK = "Asia/Krasnoyarsk"  # UTC+7
MOSCOW = "Europe/Moscow"  # UTC+3


class Library:
    """Only what render needs: a sound per prompt id, one for a composed phrase."""

    def sound(self, prompt_id: str) -> Sound:
        return Sound(prompt_id, 1.0)

    async def phrase(self, _phrase: object) -> Sound:
        return Sound("phrase", 1.0)


def player(at: datetime, greeting: GreetingSettings | None = None) -> ScenarioPlayer:
    return ScenarioPlayer(
        DialerSettings(),
        cast(Any, None),
        cast(Any, Library()),
        cast(Any, None),
        cast(Any, None),
        lambda: at,
        operator_key="0",
        say_zero_kopecks=False,
        simulated=True,
        greeting=greeting,
    )


TARIFF = TEMPLATES[CampaignKind.TARIFF]


async def intro(at: datetime, zone: str, greeting: GreetingSettings | None = None) -> str:
    steps = await player(at, greeting).render(TARIFF, {"tariff_date": "2027-01-01"}, zone)
    return steps[0].label


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (time(4, 59), "campaign.intro"),
        (time(5, 0), "campaign.intro.morning"),
        (time(11, 59), "campaign.intro.morning"),
        (time(12, 0), "campaign.intro.day"),
        (time(17, 59), "campaign.intro.day"),
        (time(18, 0), "campaign.intro.evening"),
        (time(22, 59), "campaign.intro.evening"),
        (time(23, 0), "campaign.intro"),
    ],
)
async def test_intro_over_the_boundaries(local: time, expected: str) -> None:
    # The callee's local time in Krasnoyarsk (UTC+7): the UTC moment 7 hours earlier.
    at = datetime(2026, 11, 24, 0, 0, tzinfo=UTC).replace(hour=(local.hour - 7) % 24)
    at = at.replace(minute=local.minute)
    assert await intro(at, KRASNOYARSK) == expected


async def test_the_callee_zone_decides() -> None:
    at = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)  # 15:30 in Krasnoyarsk, 11:30 in Moscow
    assert await intro(at, KRASNOYARSK) == "campaign.intro.day"
    assert await intro(at, MOSCOW) == "campaign.intro.morning"


async def test_the_boundaries_are_the_ivr_settings() -> None:
    late = GreetingSettings(morning="06:30", day="11:00", evening="17:00", night="22:00")
    at = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 11:00 in Krasnoyarsk
    assert await intro(at, KRASNOYARSK, late) == "campaign.intro.day"


def test_one_rule_for_the_ivr_and_the_campaigns() -> None:
    settings = GreetingSettings()
    for hour in range(24):
        local = time(hour, 30)
        part = part_of_day(local, settings)
        assert greeting_prompt(local, settings) == greeting_variant(
            prompts.GREETING, local, settings
        )
        expected = INTRO_PROMPT if part is PartOfDay.NIGHT else f"{INTRO_PROMPT}.{part}"
        assert greeting_variant(INTRO_PROMPT, local, settings) == expected


def test_every_intro_variant_is_in_the_catalogue() -> None:
    ids = set(Catalogue.load(ROOT / "prompts", "Энергосбыт").ids())
    for kind, scenario in TEMPLATES.items():
        assert set(scenario.prompt_ids()) <= ids, kind
        assert {"campaign.intro.morning", "campaign.intro.day"} <= set(scenario.prompt_ids())
