"""A caller's walk through the menu in the engine (``ivr.menu.flow``): where they are, the
rounds counted, and the channel variables waiting for the next round trip."""

from __future__ import annotations

from dataclasses import dataclass, field

from ivr.call import IvrCall
from ivr.menu.model import Menu


class Leave(Exception):
    """The caller left the menu (operator, goodbye): unwinds the walk."""


@dataclass
class Walk:
    call: IvrCall
    first_time: bool
    stack: list[str]
    menu: Menu  # the version the call started on, to its end
    pending: str | None = None  # a key typed ahead over a prompt
    invalid: int = 0  # invalid-key rounds in a row
    silent: int = 0  # silent rounds in a row
    hinted: bool = False  # the navigation hint was played (once per call)
    emergency: bool = False  # emergency mode was on when the call came in
    # The version's tag in dialplan (ivr.levels = "dialplan"): the levels are handed over.
    tag: str | None = None
    # Channel variables not set yet (the call's id, the notice mark, the recording's file):
    # set with the hand-over's own (one round trip), or by set_waiting() before anything else.
    waiting: dict[str, str] = field(default_factory=dict)

    async def set_waiting(self) -> None:
        """The variables still waiting, set now (before a prompt or the walk's next step)."""
        if self.waiting:
            values, self.waiting = self.waiting, {}
            await self.call.agi.set_variables(values)


async def play_node(walk: Walk, prompt_id: str, escape_digits: str) -> str | None:
    """A node's prompt: the menu's own text (typed in the menu editor) or a catalogue one."""
    text = walk.menu.texts.get(prompt_id)
    if text is not None:
        return await walk.call.play_text(prompt_id, text, escape_digits)
    return await walk.call.play(prompt_id, escape_digits=escape_digits)
