"""Which greeting a caller hears at a given local time (R-048)."""

from __future__ import annotations

from datetime import time

from hotline.settings import GreetingSettings
from ivr import prompts


def greeting_prompt(local: time, settings: GreetingSettings) -> str:
    """The prompt id for the time of day: morning, day, evening, or neutral at night."""
    now = local.replace(tzinfo=None)
    if time.fromisoformat(settings.morning) <= now < time.fromisoformat(settings.day):
        return prompts.GREETING_MORNING
    if time.fromisoformat(settings.day) <= now < time.fromisoformat(settings.evening):
        return prompts.GREETING_DAY
    if time.fromisoformat(settings.evening) <= now < time.fromisoformat(settings.night):
        return prompts.GREETING_EVENING
    return prompts.GREETING
