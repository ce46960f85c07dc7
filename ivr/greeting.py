"""Which greeting a caller hears at a given local time (R-048): the IVR's welcome by
:mod:`hotline.speech.greeting`, the rule campaign intros use too."""

from __future__ import annotations

from datetime import time

from hotline.settings import GreetingSettings
from hotline.speech.greeting import greeting_variant
from ivr import prompts


def greeting_prompt(local: time, settings: GreetingSettings) -> str:
    """The prompt id for the time of day: morning, day, evening, or neutral at night."""
    return greeting_variant(prompts.GREETING, local, settings)
