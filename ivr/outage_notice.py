"""The current outage at the caller's address (R-097, R-032), said right after the greeting to
a caller known by caller ID, or right after identification to one who typed the account: the
cause and the restoration time, then the key that reaches the emergency dispatcher."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from hotline.contact_center.outages import CallerOutage, restoration_phrase
from hotline.core.logs import mask_account
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary, Sound
from hotline.speech.tools import SpeechError
from hotline.store.enums import EventKind
from ivr import dialog, prompts
from ivr.call import IvrCall

log = logging.getLogger(__name__)

NODE = "outage"

# The open outage at the address of an account registered for a caller ID, or of an account.
OutageSource = Callable[[str | None], Awaitable[CallerOutage | None]]
AccountOutageSource = Callable[[str], Awaitable[CallerOutage | None]]


async def announce(
    call: IvrCall, found: CallerOutage, library: PromptLibrary, settings: Settings
) -> str | None:
    """Say the outage (logged as heard, once per call); returns the key the caller pressed,
    if any (``outages.dispatcher_key``: the caller asks for the dispatcher)."""
    call.outage_heard = True
    await call.enter(NODE)
    await call.event(
        EventKind.OUTAGE_HEARD, str(found.outage.id), {"account": mask_account(found.account)}
    )
    try:
        cause: Sound | None = await library.speak(found.outage.cause)
    except SpeechError as exc:  # the rest is still worth hearing
        log.error("outage %d: cannot synthesise its cause: %s", found.outage.id, exc)
        cause = None
    digit = await call.play(prompts.OUTAGE_INTRO, escape_digits=dialog.ALL_KEYS)
    if digit is None and cause is not None:
        digit = await call.play_sound(
            "outage.cause", cause.path_without_extension, escape_digits=dialog.ALL_KEYS
        )
    if digit is None:
        digit = await dialog.question(
            call,
            settings.outages.key_wait,
            prompts.OUTAGE_RESTORE,
            restoration_phrase(found.outage.restore_at, found.zone),
            prompts.OUTAGE_DISPATCHER,
        )
    return digit
