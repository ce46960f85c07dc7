"""What the self-service flows share: how a flow ends, and how it asks a one-key question."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hotline.speech.russian import Phrase
from ivr.call import IvrCall

# Every key answers a question at once (skipping the rest of it); keys a question does not
# expect are then treated as a wrong answer, never silently dropped by Asterisk.
ALL_KEYS = "0123456789*#"
CONFIRM_KEY = "1"
REENTER_KEY = "2"


class Next(StrEnum):
    MENU = "menu"  # back to the menu (the node's `then`)
    GOODBYE = "goodbye"  # the task is done: goodbye and hang up
    OPERATOR = "operator"  # hand the call to an operator


@dataclass(frozen=True)
class Outcome:
    next: Next
    reason: str | None = None  # the operator reason
    announce: bool = True  # say "connecting you" before the queue


async def question(call: IvrCall, wait_seconds: float, *parts: str | Phrase) -> str | None:
    """Play the parts (prompt ids or personal phrases), any key interrupting them; then wait
    ``wait_seconds`` for a key.  None when the caller stayed silent."""
    for part in parts:
        if isinstance(part, Phrase):
            digit = await call.say(part, escape_digits=ALL_KEYS)
        else:
            digit = await call.play(part, escape_digits=ALL_KEYS)
        if digit is not None:
            return digit
    return await call.wait_digit(wait_seconds)
