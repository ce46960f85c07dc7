"""A caller's walk through the menu in the engine (``ivr.menu.flow``): where they are, the
rounds counted, and what the call's start left for the next round trip."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from hotline.calls.menu_events import HUNG_UP
from hotline.contact_center.recording_start import (
    PreparedRecording,
    index_write,
    prepare_recording,
    recording_planned,
)
from hotline.dialplan.names import ChannelVar, NoticeBy
from hotline.settings import Settings
from hotline.store.calllog import CallLog
from hotline.store.enums import CallOutcome, EventKind
from hotline.store.recordings import Recordings
from hotline.transport.agi_hand_back import Reply
from ivr.call import IvrCall, PlayedAhead
from ivr.menu.model import Menu, NodeKind

log = logging.getLogger(__name__)


class Leave(Exception):
    """The caller left the menu (operator, goodbye): unwinds the walk."""


@dataclass
class Waiting:
    """What the call's start leaves for the hand-over to the menu's levels, which sends it
    with its own variables without waiting for replies (``AgiCall.hand_back``), or for
    :meth:`Walk.run_waiting` before anything else the call does."""

    applications: list[tuple[str, str]] = field(default_factory=list)  # MixMonitor
    variables: dict[str, str] = field(default_factory=dict)  # call id, notice mark, file
    # Written (deferred) once the first application ran: the recording's index row.
    started: Callable[[], Awaitable[None]] | None = None
    # The greeting and the notice, still playing (sent ahead): logged from the replies.
    opening: Callable[[Sequence[Reply]], Awaitable[None]] | None = None


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
    waiting: Waiting = field(default_factory=Waiting)

    def levels_tag(self) -> str | None:
        """The version's tag when the walk goes on in the levels in dialplan from here (not
        an action node, nor a key typed ahead, which the engine acts on), else None."""
        if self.tag is None or self.pending is not None:
            return None
        return None if self.menu.node(self.stack[-1]).kind is NodeKind.ACTION else self.tag

    async def run_waiting(self) -> None:
        """What the call's start left, run and set now, one reply at a time."""
        waiting, self.waiting = self.waiting, Waiting()
        agi, variables = self.call.agi, dict(waiting.variables)
        for number, (application, data) in enumerate(waiting.applications):
            try:  # as start_recording: a recording that failed to start never ends the call
                ran = await agi.exec(application, data) >= 0
            except Exception:
                log.exception("could not run %s on the call", application)
                ran = False
            if number == 0 and ran and waiting.started is not None:
                self.call.defer("the recording's index row", waiting.started)
            elif number == 0 and not ran:  # not recorded: the operator context records
                variables.pop(ChannelVar.RECORDING, None)
        if variables:
            await agi.set_variables(variables)


async def play_node(walk: Walk, prompt_id: str, escape_digits: str) -> str | None:
    """A node's prompt: the menu's own text (typed in the menu editor) or a catalogue one."""
    text = walk.menu.texts.get(prompt_id)
    if text is not None:
        return await walk.call.play_text(prompt_id, text, escape_digits)
    return await walk.call.play(prompt_id, escape_digits=escape_digits)


def opening_logged(
    call: IvrCall, call_log: CallLog, opening: PlayedAhead
) -> Callable[[Sequence[Reply]], Awaitable[None]]:
    """The greeting and the notice logged from the hand-back's replies; the notice's mark
    once it played whole (as the flow notes it after :meth:`IvrCall.played_ahead`), else the
    caller's hang-up (as the flow records an AgiHangup)."""

    async def logged(replies: Sequence[Reply]) -> None:
        noticed = await call.log_ahead(opening, replies)
        if noticed is not None:
            await call_log.note(
                call.uniqueid, EventKind.RECORDING_NOTICE, NoticeBy.IVR, at=noticed
            )
        else:  # cut short: the caller left before the menu, as the flow records it
            await call_log.record_outcome(
                call.uniqueid, EventKind.STATUS, HUNG_UP, CallOutcome.ABANDONED
            )

    return logged


async def opened_and_prepared(call: IvrCall, settings: Settings) -> PreparedRecording | None:
    """The call's row written, then its recording's file made ready, while the greeting plays
    (None: calls are not recorded, or the file system failed and start_recording tries
    again)."""
    await call.opened(tell_channel=False)
    if not settings.recording.enabled:
        return None
    return await prepare_recording(settings, call.call_id or call.uniqueid)


def recording_waits(
    call: IvrCall,
    settings: Settings,
    recordings: Recordings,
    prepared: PreparedRecording | None,
    channel: dict[str, str],
) -> Waiting:
    """MixMonitor (unless the call is not recorded) and the channel's variables, left for
    the hand-over."""
    path = None if prepared is None else recording_planned(settings, prepared)
    if path is None:
        return Waiting(variables=channel)
    return Waiting(
        [("MixMonitor", str(path))],
        {**channel, ChannelVar.RECORDING: str(path)},
        index_write(call.agi, recordings, path),
    )
