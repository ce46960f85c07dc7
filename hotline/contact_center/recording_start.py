"""The IVR's hook that starts a call's recording right after the recording notice (R-061,
R-062): the file's folder and the free space made ready, MixMonitor started, the file indexed
and named on the channel.

The preparation (a hop to a thread: the folder resolved and created, the free space read) can
be done ahead, while the greeting and the notice play (:func:`prepare_recording`): every caller
of a burst reaches the end of the notice at about the same time.  The IVR then starts
MixMonitor with its hand-over to the menu's levels (:func:`recording_planned`,
:func:`index_write`; issue 19 item 1), or here (:func:`start_recording`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from hotline.contact_center.recording_completion import FILE_SETTLE_SECONDS
from hotline.contact_center.recording_space import (
    LOW_SPACE_ALERT,
    RecordingSpace,
    recording_space,
)
from hotline.contact_center.recordings import WAV_HEADER_BYTES, prepared_file, recording_path
from hotline.core.clock import utc_now
from hotline.dialplan.names import ChannelVar
from hotline.settings import Settings
from hotline.store.recordings import Recordings
from hotline.transport.agi_call import AgiCall

log = logging.getLogger(__name__)

# Hands a write the caller does not wait for to the call (ivr.call.IvrCall.defer).
Defer = Callable[[str, Callable[[], Awaitable[None]]], None]


class PreparedRecording(NamedTuple):
    path: Path  # the file MixMonitor is to write; its folder exists unless space is low
    space: RecordingSpace


async def prepare_recording(settings: Settings, name: str) -> PreparedRecording | None:
    """The file of the recording called ``name`` (the call's id) with its day folder created,
    and the space for recordings; None (logged) when the file system failed."""
    try:
        # One hop to a thread for all of it: the file's path (resolving the folder reads the
        # file system), the free space, then the day's folder.
        return await asyncio.to_thread(_prepare, settings, name, utc_now())
    except Exception:
        log.exception("could not start recording %s.wav", name)
        return None


def recording_planned(settings: Settings, prepared: PreparedRecording) -> Path | None:
    """The file to record into, made ready earlier, or None when calls are not recorded or
    the space for recordings is low (alerted once, logged)."""
    if not settings.recording.enabled:
        return None
    path, space = prepared
    LOW_SPACE_ALERT.note(space)
    if space.low:
        log.warning("call not recorded: %d MB free for recordings", space.free_mb)
        return None
    return path


def index_write(agi: AgiCall, recordings: Recordings, path: Path) -> Callable[[], Awaitable[None]]:
    """The index row's write for a recording MixMonitor started on this call (a failure is
    logged: the conversation matters more than its tape)."""

    async def index() -> None:
        try:
            await recordings.index_soon(agi.env.uniqueid, str(path), caller=agi.env.callerid)
        except Exception:
            log.exception("could not index recording %s", path.name)

    return index


async def start_recording(
    agi: AgiCall,
    settings: Settings,
    recordings: Recordings,
    *,
    call_id: str | None = None,
    defer: Defer | None = None,
    channel: Mapping[str, str] | None = None,
    prepared: PreparedRecording | None = None,
) -> None:
    """Start MixMonitor on the call (after the recording notice) and index the file.  A
    failure is logged, never ends the call.  Below ``resilience.recordings_min_free_mb`` free
    the call is not recorded (alerted once, shown on the wallboard).

    ``call_id``: the call's id when the caller knows it ("" when the store was out), else it
    is read from the channel.  ``defer``: where the index row's write goes so the caller does
    not wait for it (the IVR's next prompt must not wait for the store: issue 19); without it
    the row is written before this returns.  ``prepared``: the file and space made ready
    earlier (:func:`prepare_recording`, for this call's id), else they are made ready here.

    ``channel``: other variables for the channel, set with HOTLINE_RECORDING in one round trip
    (AgiCall.set_variables), and set even when the call is not recorded."""
    values = dict(channel or {})
    path = None
    if settings.recording.enabled:
        path = await _mix_monitor(agi, settings, call_id, prepared)
    if path is None:
        if values:
            await agi.set_variables(values)
        return
    # MixMonitor is writing the file: it is indexed even if the caller hangs up before the
    # channel has its name.
    index = index_write(agi, recordings, path)
    if defer is None:
        await index()
    else:
        defer("the recording's index row", index)
    values[ChannelVar.RECORDING] = str(path)
    try:
        if len(values) > 1:
            await agi.set_variables(values)
        else:
            await agi.set_variable(ChannelVar.RECORDING, str(path))
    except Exception:
        log.exception("could not name recording %s on the channel", path.name)


async def _mix_monitor(
    agi: AgiCall, settings: Settings, call_id: str | None, prepared: PreparedRecording | None
) -> Path | None:
    """MixMonitor started on the call; its file, or None when the call is not recorded."""
    if prepared is None:
        if call_id is None:
            call_id = await agi.get_variable(ChannelVar.CALL_ID)
        prepared = await prepare_recording(settings, call_id or agi.env.uniqueid)
        if prepared is None:
            return None
    path = recording_planned(settings, prepared)
    if path is None:
        return None
    try:
        await agi.exec("MixMonitor", str(path))
    except Exception:
        log.exception("could not start recording %s", path.name)
        return None
    return path


def _prepare(settings: Settings, name: str, at: datetime) -> PreparedRecording:
    """The recording's file, the space for recordings and, when there is enough, the file's
    folder created.  Blocking: run it in a thread."""
    space = recording_space(settings)
    if space.low:
        return PreparedRecording(recording_path(settings, name, at), space)
    return PreparedRecording(prepared_file(settings, name, at), space)


async def discard_header_only(path: Path) -> bool:
    """The file of a MixMonitor that started on a channel whose caller had already hung up
    (AGI's ``EXEC`` runs there too): once MixMonitor closed it, a WAV header and nothing else
    is removed, so that nothing lists it as a recording (the sweep of files the index lacks
    would adopt it).  True when it was removed."""
    await asyncio.sleep(FILE_SETTLE_SECONDS)
    return await asyncio.to_thread(_remove_header_only, path)


def _remove_header_only(path: Path) -> bool:
    try:
        if path.stat().st_size > WAV_HEADER_BYTES:
            return False
        path.unlink()
    except FileNotFoundError:
        return False
    return True
