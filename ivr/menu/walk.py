"""What one call's walk through the menu carries between its steps, and the types of the
sources ``MenuFlow`` reads (hours, drafts, emergency)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hotline.contact_center.emergency import Emergency
from hotline.contact_center.hours import OperatorHours
from ivr.call import IvrCall
from ivr.menu.model import Menu

HoursSource = Callable[[], Awaitable[OperatorHours]]
# The menu editor's draft by its content's sha256, checked; None when it is not the draft.
DraftSource = Callable[[str], Awaitable[Menu | None]]
EmergencySource = Callable[[], Awaitable[Emergency]]


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


async def play_node(walk: Walk, prompt_id: str, escape_digits: str) -> str | None:
    """A node's prompt: the menu's own text (typed in the menu editor) or a catalogue one."""
    text = walk.menu.texts.get(prompt_id)
    if text is not None:
        return await walk.call.play_text(prompt_id, text, escape_digits)
    return await walk.call.play(prompt_id, escape_digits=escape_digits)


DRAFT_LABEL = "draft "


def version_label(version: int | None) -> str:
    """The call log's ``menu_version`` value: the version number, or ``file``."""
    return "file" if version is None else str(version)
