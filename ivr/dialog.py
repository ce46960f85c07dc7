"""What the IVR flows share: how a flow ends, how it asks a one-key question, and how it
takes a callback request at an agreed time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from hotline.contact_center.slots import Slot
from hotline.core.keys import CONFIRM_KEY, REENTER_KEY
from hotline.speech.hours_ru import Window, callback_agreed, window_choice
from hotline.speech.russian import Phrase, phone
from ivr import prompts
from ivr.call import IvrCall
from ivr.hours_said import SlotOffer

# Every key answers a question at once (skipping the rest of it); keys a question does not
# expect are then treated as a wrong answer, never silently dropped by Asterisk.
ALL_KEYS = "0123456789*#"


class Next(StrEnum):
    MENU = "menu"  # back to the menu (the node's `then`)
    GOODBYE = "goodbye"  # the task is done: goodbye and hang up
    OPERATOR = "operator"  # hand the call to an operator


@dataclass(frozen=True)
class Outcome:
    next: Next
    reason: str | None = None  # the operator reason
    announce: bool = True  # say "connecting you" before the queue
    queue: str | None = None  # the department's queue (R-097); None: the operators'


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


class ReadBack(StrEnum):
    """The caller's answer after hearing back what they typed."""

    CONFIRMED = "confirmed"
    REENTER = "reenter"
    OPERATOR = "operator"
    UNCLEAR = "unclear"  # silence or a key the question does not offer


async def read_back(
    call: IvrCall, wait_seconds: float, typed: Phrase, operator_key: str
) -> ReadBack:
    """«Вы ввели …» with what the caller typed, then «1 — верно, 2 — ввести заново»."""
    key = await question(
        call, wait_seconds, prompts.YOU_ENTERED, typed, prompts.CONFIRM_OR_REENTER
    )
    if key == REENTER_KEY:
        return ReadBack.REENTER
    if key == operator_key:
        return ReadBack.OPERATOR
    return ReadBack.CONFIRMED if key == CONFIRM_KEY else ReadBack.UNCLEAR


CALLBACK_NUMBER_MAX_DIGITS = 15


async def take_callback(
    call: IvrCall,
    wait_seconds: float,
    attempts: int,
    *,
    source: str | None = None,
    on_stored: Callable[[], Awaitable[None]] | None = None,
    expect: Phrase | None = None,
    offer: SlotOffer | None = None,
) -> bool:
    """Take a callback request: the caller ID read back and confirmed by keypad, or a typed
    number, then the window the caller chooses from ``offer`` (R-109).  Stored (and
    ``on_stored`` run) before the caller hears it was accepted and when to expect the call;
    False after ``attempts`` failed tries.  The out-of-hours menu and the queue overflow both
    ask this way.  Without windows to offer, ``expect`` says when the operator will call
    (R-012), or the caller hears «in working hours»."""
    await call.enter("callback")
    number = call.agi.env.callerid
    for _attempt in range(attempts):
        if number:
            digit = await question(
                call,
                wait_seconds,
                prompts.CALLBACK_YOUR_NUMBER,
                phone(number),
                prompts.CONFIRM_OR_REENTER,
            )
            if digit == CONFIRM_KEY:
                chosen = await choose_window(call, offer, wait_seconds, attempts)
                await call.request_callback(
                    number, source=source, slot=chosen[0] if chosen else None
                )
                if on_stored is not None:
                    await on_stored()
                await callback_taken(call, expect, chosen[1] if chosen else None)
                return True
        typed = await call.ask(
            prompts.CALLBACK_ENTER_NUMBER, wait_seconds, CALLBACK_NUMBER_MAX_DIGITS
        )
        number = typed if typed.isdigit() else None
    await call.play(prompts.INPUT_FAILED)
    return False


async def choose_window(
    call: IvrCall, offer: SlotOffer | None, wait_seconds: float, attempts: int
) -> tuple[Slot, Window] | None:
    """The window the caller picks by key (1..n), the options cut so the question stays within
    the menu standard's seconds of speech; the earliest one when the caller does not choose
    (the request is not lost, and the caller hears which window was stored).  None when there
    is nothing to offer."""
    if offer is None or not offer.slots:
        return None
    windows = list(offer.windows)
    while len(windows) > 1:
        seconds = await call.seconds(prompts.CALLBACK_WHEN, window_choice(windows))
        if seconds <= offer.max_seconds:
            break
        windows.pop()
    for _attempt in range(attempts):
        key = await question(call, wait_seconds, prompts.CALLBACK_WHEN, window_choice(windows))
        if key is not None and key.isdigit() and 1 <= int(key) <= len(windows):
            index = int(key) - 1
            return offer.slots[index], windows[index]
        if key is not None:
            await call.play(prompts.INVALID)
    return offer.slots[0], windows[0]


async def callback_taken(
    call: IvrCall, expect: Phrase | None, window: Window | None = None
) -> None:
    """The confirmation of a stored callback request, with when to expect the call: the agreed
    window, else the next opening, else «in working hours»."""
    if window is not None:
        await call.play(prompts.CALLBACK_TAKEN)
        await call.say(callback_agreed(window))
        return
    if expect is None:
        await call.play(prompts.CALLBACK_ACCEPTED)
        return
    await call.play(prompts.CALLBACK_TAKEN)
    await call.say(expect)
