"""Emergency mode (R-027, R-032): during an outage a supervisor publishes a message that every
caller hears right after the greeting and the recording notice, and the operators' answer
target is relaxed from 40 s to 180 s.

* :func:`switch_on` checks or renders the message, then records it as active: a catalogue
  prompt must exist and be built; a typed text is synthesised first, so callers never reach
  a message that has no audio.  :func:`switch_off` ends it.  Both write the audit log, so
  the CLI and the console record the same.
* :class:`EmergencyProvider` is the engine's per-call check (remembered for two seconds).
* :func:`answer_target` is the wait target for the operator queue.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy.exc import SQLAlchemyError

from hotline.core.cache import LastGoodCache
from hotline.settings import QueueSettings
from hotline.speech import audio
from hotline.speech.library import PromptLibrary, PromptsNotBuilt, Sound
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database
from hotline.store.emergency import NEVER_SWITCHED, Emergency, EmergencyStore

__all__ = [
    "USED_BY",
    "Emergency",
    "EmergencyProvider",
    "EmergencyStore",
    "Message",
    "answer_target",
    "prepare_message",
    "switch_off",
    "switch_on",
]

log = logging.getLogger(__name__)

# How the catalogue names us when a prompt id is unknown.
USED_BY: Final = "emergency mode"
TEXT_MAX: Final = 2000


def answer_target(emergency: Emergency, queue: QueueSettings) -> int:
    """Seconds an operator should answer within: ``emergency_answer_target`` (180) while
    emergency mode is on, else ``answer_target`` (40)."""
    return queue.emergency_answer_target if emergency.active else queue.answer_target


@dataclass(frozen=True)
class Message:
    """An emergency message ready to store: one of prompt_id and text, and its sound."""

    prompt_id: str | None
    text: str | None
    sound: Sound


async def prepare_message(
    library: PromptLibrary, *, prompt_id: str | None = None, text: str | None = None
) -> Message:
    """Check a catalogue prompt is built, or synthesise a text (through the speech cache).

    Raises ValueError for a bad choice or empty text, UnknownPrompt (a CatalogueError) for an
    id the catalogue lacks, PromptsNotBuilt when the prompt has no built audio, SpeechError
    when synthesis fails.
    """
    if (prompt_id is None) == (text is None):
        raise ValueError("give exactly one of a prompt id and a text")
    if prompt_id is not None:
        library.catalogue.require(prompt_id, USED_BY)
        sound = library.sound(prompt_id)
        if not await asyncio.to_thread(audio.sound_exists, Path(sound.path_without_extension)):
            raise PromptsNotBuilt(
                f"prompt {prompt_id!r} is in the manifest but its audio files are missing "
                f"({sound.path_without_extension}.*): run `hotline prompts build`"
            )
        return Message(prompt_id, None, sound)
    assert text is not None
    text = " ".join(text.split())
    if not text:
        raise ValueError("the emergency message text is empty")
    if len(text) > TEXT_MAX:
        raise ValueError(f"the emergency message is {len(text)} characters; at most {TEXT_MAX}")
    return Message(None, text, await library.speak(text))


async def switch_on(
    db: Database,
    library: PromptLibrary,
    *,
    prompt_id: str | None = None,
    text: str | None = None,
    by: Actor,
) -> Emergency:
    """Render or check the message, then record emergency mode on with it (audited with the
    message as given)."""
    message = await prepare_message(library, prompt_id=prompt_id, text=text)
    emergency = await EmergencyStore(db).switch_on(
        prompt_id=message.prompt_id,
        text=message.text,
        sound=message.sound.path_without_extension,
        by=by.name,
    )
    await AuditLog(db).write(by, "emergency.on", detail={"text": text, "prompt": prompt_id})
    log.warning("emergency mode ON by %s: %s", by.name, message.prompt_id or repr(message.text))
    return emergency


async def switch_off(db: Database, by: Actor) -> tuple[bool, Emergency]:
    """Record emergency mode off; returns whether it was on, and the state now.  Only a real
    switch is audited: an "off" while already off changes nothing a caller hears."""
    store = EmergencyStore(db)
    was_on = (await store.current()).active
    emergency = await store.switch_off(by.name)
    if was_on:
        await AuditLog(db).write(by, "emergency.off")
        log.warning("emergency mode OFF by %s", by.name)
    return was_on, emergency


class EmergencyProvider:
    """:meth:`EmergencyStore.current` remembered for ``ttl`` seconds (the per-call check).

    Concurrent callers share one read.  When the store cannot be read the last known state is
    kept (before any: off) and logged; calls go on either way.
    """

    def __init__(
        self,
        store: EmergencyStore,
        ttl: float = 2.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cache: LastGoodCache[Emergency] = LastGoodCache(
            store.current,
            ttl=ttl,
            on_failure=_keep_last,
            errors=(SQLAlchemyError, OSError),
            clock=clock,
        )

    async def current(self) -> Emergency:
        return await self._cache.get()

    def invalidate(self) -> None:
        self._cache.invalidate()


def _keep_last(last_known: Emergency | None, exc: Exception) -> Emergency:
    log.error("emergency mode: cannot read its state (%s); keeping the last", exc)
    return last_known or NEVER_SWITCHED
