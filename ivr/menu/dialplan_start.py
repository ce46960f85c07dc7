"""The call start in dialplan (``ivr.levels = "dialplan"``; issue 19 item 1).

With the menu's levels in dialplan, what the engine adds at a call start is what it knows and
looks up, not what the caller hears first: the greeting for the time of day and the recording
notice are the same for every caller.  So the first FastAGI session (route ``ivr``) starts the
call's row and the lookups the menu needs (first-time caller, emergency, an outage at the
caller's address), names the files and the recording's file in one ``MSet`` with
``HOTLINE_STATUS=START``, and ends.  ``[hotline-ivr-node]``'s exten ``start`` plays the greeting
and the notice (neither skippable), starts MixMonitor after the notice (R-061) and enters the
engine again as ``ready``.  The lookups had the greeting and the notice to finish in, so the
second session writes what the caller heard into the call log and hands the call to the main
menu's level, after the emergency announcement or the outage notice when there is one.  Under a
burst of calls the engine's session before the greeting is one command, not four before the
main menu (the greeting, the notice, MixMonitor, the channel's variables).

A ``ready`` this process holds no first half for (the engine restarted during the greeting,
or another worker took it) looks everything up then: slower, never wrong.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from hotline.contact_center.emergency import Emergency
from hotline.contact_center.outages import CallerOutage
from hotline.contact_center.recordings import prepared_recording
from hotline.dialplan.names import ChannelVar, IvrStatus, NoticeBy
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.store.calllog import CallLog
from hotline.store.enums import EventKind
from hotline.store.recordings import Recordings
from ivr import prompts
from ivr.call import IvrCall
from ivr.menu.model import Menu

log = logging.getLogger(__name__)

# Calls between the two halves of their start: a caller who hangs up during the greeting never
# comes back, so the oldest go past this many or this age (the halves are ~5 s apart).
STARTS_KEPT: Final = 4096
START_SECONDS: Final = 120.0
GREETING_NODE: Final = "greeting"


@dataclass
class Start:
    """A call's first half: the version it started on and what is being looked up for it."""

    menu: Menu
    tag: str | None  # None: the version is not in dialplan (the engine walks it)
    greeting: str  # the prompt id the dialplan plays
    first_time: asyncio.Future[bool]
    emergency: asyncio.Future[Emergency]
    outage: asyncio.Future[CallerOutage | None] | None
    call_id: asyncio.Future[str] = field(default_factory=asyncio.Future)
    recording: Path | None = None
    made: float = field(default_factory=time.monotonic)

    def cancel(self) -> None:
        for pending in (self.first_time, self.emergency, self.outage, self.call_id):
            if pending is not None:
                pending.cancel()


class Starts:
    """The first halves this process holds, by uniqueid (it owns their lookups)."""

    def __init__(self, kept: int = STARTS_KEPT, seconds: float = START_SECONDS) -> None:
        self._kept = kept
        self._seconds = seconds
        self._starts: OrderedDict[str, Start] = OrderedDict()

    def __len__(self) -> int:
        return len(self._starts)

    def put(self, uniqueid: str, start: Start) -> None:
        old = time.monotonic() - self._seconds
        while self._starts:
            first = next(iter(self._starts.values()))
            if len(self._starts) < self._kept and first.made > old:
                break
            self._starts.popitem(last=False)[1].cancel()
        self._starts[uniqueid] = start

    def take(self, uniqueid: str) -> Start | None:
        return self._starts.pop(uniqueid, None)

    def close(self) -> None:
        for start in self._starts.values():
            start.cancel()
        self._starts.clear()


async def hand_to_dialplan(
    call: IvrCall, start: Start, starts: Starts, settings: Settings, library: PromptLibrary
) -> None:
    """The first half (route ``ivr``): the files and the status in one MSet, then the session
    ends and the dialplan plays; the call's row and the lookups go on meanwhile."""
    await call.enter(GREETING_NODE)
    start.recording = await prepared_recording(settings, call.uniqueid)
    values: dict[str, str] = {
        ChannelVar.GREETING_FILE: library.sound(start.greeting).path_without_extension,
        ChannelVar.NOTICE_FILE: library.sound(prompts.RECORDING_NOTICE).path_without_extension,
        ChannelVar.STATUS: IvrStatus.START,
    }
    if start.recording is not None:
        values[ChannelVar.RECORDING_FILE] = str(start.recording)
    starts.put(call.uniqueid, start)
    try:
        await call.agi.set_variables(values)
    except BaseException:
        if starts.take(call.uniqueid) is start:
            start.cancel()
        raise
    call.agi.end_session()
    await call.opened(tell_channel=False)  # the row's id, for the second half
    if not start.call_id.done():
        start.call_id.set_result(call.call_id)


async def started_elsewhere(call: IvrCall, make_start: Callable[[], Start]) -> Start:
    """The second half's facts when this process did not run the first: the row (an upsert,
    as the first half writes it), the lookups now, the recording as the channel names it."""
    await call.start_open()
    start = make_start()
    recording = await call.agi.get_variable(ChannelVar.RECORDING)
    start.recording = Path(recording) if recording else None
    await call.opened(tell_channel=False)
    start.call_id.set_result(call.call_id)
    return start


async def heard(
    call: IvrCall,
    start: Start,
    library: PromptLibrary,
    call_log: CallLog,
    recordings: Recordings,
) -> None:
    """The second half (route ``ivr-node``, ``ready``): the greeting and the notice the
    dialplan played go into the call log as the engine's walk logs them (played whole: neither
    can be cut short), with the notice mark; the recording's index row is written while the
    menu plays; the call id goes to the channel with the hand-over (HOTLINE_CALL_ID)."""
    call.call_id = await start.call_id
    call.path = [GREETING_NODE]
    for prompt_id in (start.greeting, prompts.RECORDING_NOTICE):
        sound = library.sound(prompt_id)
        detail = {
            "file": sound.path_without_extension,
            "duration": sound.duration,
            "played": round(sound.duration, 3),
        }
        await call_log.note(call.uniqueid, EventKind.PROMPT, prompt_id, detail)
    await call_log.note(call.uniqueid, EventKind.RECORDING_NOTICE, NoticeBy.IVR)
    path = start.recording
    if path is None:
        return
    env = call.agi.env

    async def index() -> None:  # as start_recording() indexes the engine's own recordings
        try:
            await recordings.started(env.uniqueid, str(path), caller=env.callerid)
        except Exception:
            log.exception("could not index recording %s", path.name)

    call.defer("the recording's index row", index)
