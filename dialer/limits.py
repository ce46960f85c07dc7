"""The dialer's pacing limits: calls per second, channels per trunk, the minimum gap between
two calls to one number.  Settings give the defaults; ``hotline campaign limits`` and the
console store overrides that the running engine applies within a tick."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from hotline.settings import DialerSettings

# Limit names, stored in dialer_limits; a trunk other than the default is "<trunk cap>:<name>".
LIMIT_CPS: Final = "calls_per_second"
LIMIT_TRUNK: Final = "trunk_channels"
LIMIT_GAP: Final = "same_number_gap_seconds"


@dataclass(frozen=True)
class Limits:
    calls_per_second: float
    trunk_channels: int  # the default trunk's cap
    same_number_gap: timedelta
    # Every trunk's cap by name (the default trunk included).
    trunk_caps: dict[str, int] = field(default_factory=dict)


def resolve(stored: Mapping[str, float], settings: DialerSettings) -> Limits:
    """The limits in force: a stored value where there is one, else the setting."""
    default = int(stored.get(LIMIT_TRUNK, settings.trunk_channels))
    caps = {
        name: int(stored.get(f"{LIMIT_TRUNK}:{name}", trunk.channels))
        for name, trunk in settings.trunks.items()
    }
    caps[settings.trunk_name] = default
    return Limits(
        calls_per_second=stored.get(LIMIT_CPS, settings.calls_per_second),
        trunk_channels=default,
        same_number_gap=timedelta(seconds=stored.get(LIMIT_GAP, settings.same_number_gap_seconds)),
        trunk_caps=caps,
    )
