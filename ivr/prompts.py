"""Logical prompt ids of the inbound flow and the sound each one plays.

Until the speech issue brings the Russian prompt catalogue (TTS + studio recordings), the ids
map to Asterisk's stock Russian core sounds so every call is audible from day one.
"""

from __future__ import annotations

from typing import Final

GREETING: Final = "greeting"
MAIN_MENU: Final = "main_menu"
INVALID: Final = "invalid"
CONNECTING: Final = "connecting"
GOODBYE: Final = "goodbye"

STOCK_SOUNDS: Final[dict[str, str]] = {
    GREETING: "hello-world",
    MAIN_MENU: "beep",
    INVALID: "pbx-invalid",
    CONNECTING: "one-moment-please",
    GOODBYE: "vm-goodbye",
}


def sound_for(prompt_id: str) -> str:
    """The sound file (without extension) Asterisk plays for a prompt id."""
    return STOCK_SOUNDS[prompt_id]
