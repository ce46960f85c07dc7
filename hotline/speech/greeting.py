"""Which time-of-day greeting a person hears (R-048): «Доброе утро», «Добрый день», «Добрый
вечер», or a neutral «Здравствуйте» at night.  One rule for the IVR's welcome and the
campaigns' intros: a greeting prompt ``base`` has the variants ``base.morning``, ``base.day``
and ``base.evening`` in the catalogue, and ``base`` itself is the neutral one.  Pure."""

from __future__ import annotations

from datetime import time
from enum import StrEnum

from hotline.settings import GreetingSettings


class PartOfDay(StrEnum):
    MORNING = "morning"
    DAY = "day"
    EVENING = "evening"
    NIGHT = "night"  # the neutral greeting


def part_of_day(local: time, settings: GreetingSettings) -> PartOfDay:
    """The part of the day at the local time ``local`` (boundaries: ``settings``)."""
    now = local.replace(tzinfo=None)
    if time.fromisoformat(settings.morning) <= now < time.fromisoformat(settings.day):
        return PartOfDay.MORNING
    if time.fromisoformat(settings.day) <= now < time.fromisoformat(settings.evening):
        return PartOfDay.DAY
    if time.fromisoformat(settings.evening) <= now < time.fromisoformat(settings.night):
        return PartOfDay.EVENING
    return PartOfDay.NIGHT


def greeting_variant(base: str, local: time, settings: GreetingSettings) -> str:
    """The prompt id of greeting ``base`` for the local time ``local``."""
    part = part_of_day(local, settings)
    return base if part is PartOfDay.NIGHT else f"{base}.{part}"


def greeting_variants(base: str) -> tuple[str, ...]:
    """Every prompt id greeting ``base`` may be played as."""
    return (base, *(f"{base}.{part}" for part in PartOfDay if part is not PartOfDay.NIGHT))
