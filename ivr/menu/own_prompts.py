"""A menu's own prompts (``prompts:`` in the menu file, typed in the console's menu editor):
synthesised whole with the project's TTS, like a campaign's text, and measured on that audio
against the same 15 s rule as the catalogue's prompts.

:func:`ivr.menu.standard.validate_text` renders them before it checks a menu.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hotline.speech.catalogue import Catalogue, PromptEntry
from hotline.speech.library import PromptLibrary
from hotline.speech.tools import SpeechError
from ivr.menu.model import Menu
from ivr.menu.structure import Rule, Violation

# voice -> own prompt id -> seconds of its rendered audio
OwnSeconds = Mapping[str, Mapping[str, float]]


def with_own(catalogue: Catalogue, menu: Menu) -> Catalogue:
    """The catalogue plus the menu's own prompts (an own id never hides a catalogue one:
    :func:`clashes` reports those)."""
    if not menu.texts:
        return catalogue
    entries = {entry.id: entry for entry in catalogue.entries()}
    for prompt_id, text in menu.texts.items():
        entries.setdefault(prompt_id, PromptEntry(prompt_id, text, "menu prompt"))
    return Catalogue(entries, catalogue.source)


def clashes(catalogue: Catalogue, menu: Menu) -> list[Violation]:
    """Own prompt ids that are catalogue ids already."""
    return [
        Violation(
            "",
            Rule.PROMPT_ID,
            f"own prompt id {prompt_id!r} is a catalogue prompt already: choose another id",
        )
        for prompt_id in menu.texts
        if prompt_id in catalogue
    ]


async def render(menu: Menu, library: PromptLibrary, voices: Sequence[str]) -> OwnSeconds:
    """Synthesise every own prompt the menu's nodes use in each voice (cached by text and
    voice, so only a changed text is rendered); an own prompt that fails to render is left
    out, and the rule check reports it as not built."""
    used = menu.prompt_ids()
    measured: dict[str, dict[str, float]] = {}
    for voice in voices:
        seconds: dict[str, float] = {}
        for prompt_id, text in menu.texts.items():
            if prompt_id not in used:
                continue
            try:
                sound = await library.speak(text, voice)
            except SpeechError:
                continue
            seconds[prompt_id] = sound.duration
        measured[voice] = seconds
    return measured
