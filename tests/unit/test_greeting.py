"""Time-of-day greetings with configurable boundaries (R-048)."""

from __future__ import annotations

from datetime import time

import pytest
from pydantic import ValidationError

from hotline.settings import GreetingSettings
from ivr import prompts
from ivr.greeting import greeting_prompt

DEFAULTS = GreetingSettings()


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (time(4, 59), prompts.GREETING),
        (time(5, 0), prompts.GREETING_MORNING),
        (time(11, 59, 59), prompts.GREETING_MORNING),
        (time(12, 0), prompts.GREETING_DAY),
        (time(17, 59), prompts.GREETING_DAY),
        (time(18, 0), prompts.GREETING_EVENING),
        (time(22, 59), prompts.GREETING_EVENING),
        (time(23, 0), prompts.GREETING),
        (time(0, 30), prompts.GREETING),
    ],
)
def test_default_boundaries(local: time, expected: str) -> None:
    assert greeting_prompt(local, DEFAULTS) == expected


def test_boundaries_are_settings() -> None:
    late = GreetingSettings(morning="06:30", day="11:00", evening="17:00", night="22:00")
    assert greeting_prompt(time(6, 0), late) == prompts.GREETING
    assert greeting_prompt(time(11, 0), late) == prompts.GREETING_DAY
    assert greeting_prompt(time(17, 30), late) == prompts.GREETING_EVENING


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"day": "04:00"}, "must increase"),
        ({"evening": "12:00"}, "must increase"),
        ({"night": "late"}, "HH:MM"),
    ],
)
def test_bad_boundaries_are_refused(values: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        GreetingSettings(**values)
