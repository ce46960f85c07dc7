"""The menu's levels in dialplan report to the call log (``ivr.levels = "dialplan"``).

The rendered levels (``ivr/menu/levels.py``) report every node entered, prompt started and key
received in ``UserEvent`` :data:`MENU_EVENT` (a key with the next level's or the engine's event,
:data:`MENU_KEY`; an invalid key and a silent round in events of their own, ``digits``); this
consumer writes them as the engine's own
walk does (``ivr/call.py``): a ``node`` event per node, a ``prompt`` event with the file, its
duration and the seconds played (up to the call's next event, capped at the duration), and a
``digits`` event per key, ``barge_in`` over a prompt or ``timed_out`` false while the level
waited ("" with ``timed_out`` true for a silent round).  A key over a notice that plays the
level again (invalid key, stay on the line) is followed by the node entered again, as the
engine's walk logs it.  Each event is written with the time Asterisk stamped on it, so the
call log's order is the call's even where the engine writes the events around them.

The outcome: goodbye played completes the call; a caller who hangs up on a level (not in the
engine, not in the queue) abandoned it there, as the engine records a hang-up on its walk.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from hotline.core.clock import utc_now
from hotline.dialplan.names import (
    MENU_AGAIN,
    MENU_CONTEXT_PREFIX,
    MENU_DURATION,
    MENU_EVENT,
    MENU_FILE,
    MENU_KEY,
    MENU_KIND,
    MENU_NODE,
    MENU_PROMPT,
    MENU_VALUE,
    MENU_WAITING,
    MenuEventKind,
)
from hotline.protocol.ami import AmiEvent
from hotline.store.calllog import CallLog, UnknownCall
from hotline.store.db import STORE_ERRORS
from hotline.store.enums import CallOutcome, EventKind
from hotline.transport.ami import Subscription, consume, user_event

log = logging.getLogger(__name__)

USER_EVENT: Final = "UserEvent"
MENU_EVENTS: Final = (user_event(MENU_EVENT), "Hangup")
CALLS_KEPT: Final = 10_000
HUNG_UP: Final = "caller hung up"


@dataclass
class _Prompt:
    value: str
    detail: dict[str, Any]
    at: datetime


@dataclass
class _Call:
    prompt: _Prompt | None = None  # started, its played seconds known at the next event
    on_level: bool = False  # the dialplan walks it (not the engine, not the queue)
    done: bool = False  # goodbye played: completed


def stamped(event: AmiEvent) -> datetime:
    """When Asterisk sent ``event`` (manager.conf timestampevents), else now."""
    try:
        return datetime.fromtimestamp(float(event.get("timestamp")), UTC)
    except ValueError:
        return utc_now()


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


@dataclass
class _Key:
    digit: str  # "" for a silent round
    waited: bool  # pressed while the level waited, not over a prompt
    again: bool  # over a notice that plays the level again
    node: str

    @property
    def cuts(self) -> bool:
        """The key cut the prompt playing short."""
        return self.digit != "" and not self.waited


_WITH_KEY: Final = frozenset({MenuEventKind.NODE, MenuEventKind.ENGINE})


def _pressed(text: str) -> _Key | None:
    """HOTLINE_KEY as a level sets it ("<key>/<waiting>/<again>/<node>"); None: "-"."""
    parts = text.split("/", 3)
    if len(parts) != 4 or not parts[0]:
        return None
    return _Key(parts[0], parts[1] == "1", parts[2] == "1", parts[3])


def _prompt_detail(event: AmiEvent) -> dict[str, Any]:
    return {
        "file": event.get(MENU_FILE.lower()),
        "duration": _seconds(event.get(MENU_DURATION.lower())),
    }


class MenuEvents:
    """AMI consumer: the rendered levels' UserEvents -> the call log."""

    def __init__(self, events: Subscription, call_log: CallLog) -> None:
        self._events = events
        self._log = call_log
        self._calls: dict[str, _Call] = {}

    async def run(self) -> None:
        await consume(self._events, self.handle, "menu events")

    async def handle(self, event: AmiEvent) -> None:
        uniqueid = event.uniqueid
        if event.name == "Hangup":
            call = self._calls.pop(uniqueid, None)
            if call is not None:
                await self._hung_up(uniqueid, call, event)
            return
        if event.name != USER_EVENT or event.get("userevent") != MENU_EVENT or not uniqueid:
            return
        call = self._calls.get(uniqueid)
        if call is None:
            call = self._calls[uniqueid] = _Call()
            while len(self._calls) > CALLS_KEPT:
                del self._calls[next(iter(self._calls))]
        at = stamped(event)
        kind, value = event.get(MENU_KIND.lower()), event.get(MENU_VALUE.lower())
        pressed = _pressed(event.get(MENU_KEY.lower())) if kind in _WITH_KEY else None
        if kind == MenuEventKind.DIGITS:
            pressed = _Key(value, event.get(MENU_WAITING.lower()) == "1", False, "")
            pressed.again = event.get(MENU_AGAIN.lower()) == "1"
            pressed.node = event.get(MENU_NODE.lower())
        await self._played(uniqueid, call, at, pressed is not None and pressed.cuts)
        if pressed is not None:
            await self._digits(uniqueid, call, pressed, at)
        if kind == MenuEventKind.NODE:
            call.on_level = True
            await self._log.note(uniqueid, EventKind.NODE, value, at=at)
            if prompt := event.get(MENU_PROMPT.lower()):  # the level's prompt starts
                call.prompt = _Prompt(prompt, _prompt_detail(event), at)
        elif kind == MenuEventKind.PROMPT:
            call.on_level = True
            call.prompt = _Prompt(value, _prompt_detail(event), at)
        elif kind == MenuEventKind.ENGINE:
            call.on_level = False
        elif kind == MenuEventKind.COMPLETED:
            call.on_level, call.done = False, True
            with contextlib.suppress(*STORE_ERRORS, UnknownCall):
                await self._log.set_outcome(uniqueid, CallOutcome.COMPLETED)

    async def _digits(self, uniqueid: str, call: _Call, pressed: _Key, at: datetime) -> None:
        call.on_level = True
        if pressed.digit == "":
            detail: dict[str, Any] = {"timed_out": True}
        elif pressed.waited:
            detail = {"timed_out": False}
        else:
            detail = {"barge_in": True}
        await self._log.note(uniqueid, EventKind.DIGITS, pressed.digit, detail, at=at)
        if pressed.again and pressed.node:
            await self._log.note(uniqueid, EventKind.NODE, pressed.node, at=at)

    async def _played(self, uniqueid: str, call: _Call, at: datetime, cut: bool) -> None:
        """The prompt that was playing, written with its played seconds: whole unless a key
        (or the hang-up) cut it short."""
        prompt, call.prompt = call.prompt, None
        if prompt is None:
            return
        duration = float(prompt.detail["duration"])
        elapsed = max((at - prompt.at).total_seconds(), 0.0)
        played = min(elapsed, duration) if cut else duration
        detail = {**prompt.detail, "played": round(played, 3)}
        await self._log.note(uniqueid, EventKind.PROMPT, prompt.value, detail, at=prompt.at)

    async def _hung_up(self, uniqueid: str, call: _Call, event: AmiEvent) -> None:
        await self._played(uniqueid, call, stamped(event), True)
        on_level = event.get("context").startswith(MENU_CONTEXT_PREFIX)
        if call.done or not (call.on_level or on_level):
            return
        with contextlib.suppress(*STORE_ERRORS, UnknownCall):  # statistics only
            await self._log.record_outcome(
                uniqueid, EventKind.STATUS, HUNG_UP, CallOutcome.ABANDONED
            )
