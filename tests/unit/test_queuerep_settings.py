"""The roll-up jobs' settings (issue 19 item 3): the defaults, the 30-minute floor, and the
section set and refused like any other."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hotline.settings import RollupSettings, SettingsError, load_settings


def test_defaults_and_the_floor() -> None:
    rollups = load_settings(environ={}).rollups
    assert (rollups.roll_after_minutes, rollups.batch, rollups.interval_seconds) == (60, 672, 300)
    with pytest.raises(ValidationError):
        RollupSettings(roll_after_minutes=29)
    assert RollupSettings(roll_after_minutes=30).roll_after_minutes == 30


def test_overridden_and_refused_naming_the_key() -> None:
    settings = load_settings(
        overrides={"rollups": {"roll_after_minutes": 90, "batch": 96}}, environ={}
    )
    assert (settings.rollups.roll_after_minutes, settings.rollups.batch) == (90, 96)
    with pytest.raises(SettingsError, match=r"rollups\.roll_after_minutes"):
        load_settings(overrides={"rollups": {"roll_after_minutes": 20}}, environ={})
