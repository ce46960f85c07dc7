"""Found by the soak (issue 21): with the call log's tables locked (a slow database) callers
heard seconds of silence after answer, because the IVR wrote the call's row and counted the
caller's earlier calls before the greeting.  Now the greeting and the recording notice play
while the store catches up; the row is still written, and its id handed on, before anything
that needs it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest

from hotline.core.clock import utc_now
from hotline.protocol.agi import AgiHangup
from hotline.settings import load_settings
from hotline.speech.library import PromptLibrary
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.recordings import Recordings
from hotline.transport.fastagi import AgiCall
from ivr import prompts
from ivr.call import IvrCall, PlayedAhead
from ivr.menu import flow as menu_flow
from ivr.menu.flow import MenuFlow
from tests.unit.test_menu_model import base, parse

CALLER = "79131234567"


class LockedStore:
    """Every read and write waits until ``release`` is set (a lock held on the tables)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.opened: list[str] = []
        self.events: list[tuple[str, str]] = []

    async def open(self, *, uniqueid: str, **_fields: Any) -> str:
        await self.release.wait()
        self.opened.append(uniqueid)
        return "call-1"

    async def calls_from(
        self, caller: str, *, excluding: str | None = None, up_to: int | None = None
    ) -> int:
        await self.release.wait()
        return 0

    async def emergency(self) -> Any:
        await self.release.wait()
        return SimpleNamespace(active=False)

    async def note(
        self, uniqueid: str, kind: str, value: str, detail: Any = None, at: Any = None
    ) -> None:
        self.events.append((kind, value))

    async def add_event(self, uniqueid: str, kind: str, value: str, detail: Any = None) -> None:
        await self.release.wait()
        self.events.append((kind, value))

    record = add_event  # the IVR's immediate events (CallLog.record)

    async def set_outcome(self, uniqueid: str, outcome: str) -> None:
        pass

    async def record_outcome(self, uniqueid: str, kind: str, value: str, outcome: str) -> None:
        await self.record(uniqueid, kind, value)  # a hang-up's event and outcome (CallLog)


class Agi:
    def __init__(self) -> None:
        self.env = SimpleNamespace(
            channel="PJSIP/x-1", callerid=CALLER, uniqueid="1.1", arguments=()
        )
        self.variables: dict[str, str] = {}

    async def get_variable(self, name: str) -> str | None:
        return None

    async def set_variable(self, name: str, value: str) -> None:
        self.variables[name] = value


class RecordingCall(IvrCall):
    """The real IvrCall (its row written by start_open/opened), with prompts recorded
    instead of streamed; the caller hangs up after the recording notice."""

    played: list[str]

    async def play(self, prompt_id: str, escape_digits: str = "") -> str | None:
        self.played.append(prompt_id)
        return None

    def play_ahead(self, prompt_ids: Sequence[str]) -> PlayedAhead:
        self.played.extend(prompt_ids)  # the greeting and the notice, sent at once
        return PlayedAhead((), 0.0, utc_now())

    async def played_ahead(self, ahead: PlayedAhead) -> datetime:
        return utc_now()


@pytest.fixture
def store() -> LockedStore:
    return LockedStore()


async def test_the_greeting_and_notice_play_while_the_store_is_locked(
    store: LockedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    played: list[str] = []
    calls: list[RecordingCall] = []

    def make_call(*args: Any) -> RecordingCall:
        call = RecordingCall(*args)
        call.played = played
        calls.append(call)
        return call

    monkeypatch.setattr(menu_flow, "IvrCall", make_call)

    async def never() -> Any:
        raise AssertionError("not reached")

    flow = MenuFlow(
        parse(base()),
        load_settings(environ={}),
        cast(CallLog, store),
        cast(PromptLibrary, None),
        never,
        store.emergency,
        recordings=cast(Recordings, None),
        callbacks=cast(CallbackStore, None),
    )
    agi = Agi()
    hang_up_after_the_row = asyncio.Event()

    async def set_variable(name: str, value: str) -> None:
        agi.variables[name] = value
        hang_up_after_the_row.set()
        raise AgiHangup("the caller hung up")

    async def set_variables(values: dict[str, str]) -> None:
        # The IVR sets the call id with the notice mark in one round trip (issue 19).
        agi.variables.update(values)
        hang_up_after_the_row.set()
        raise AgiHangup("the caller hung up")

    agi.set_variable = set_variable  # type: ignore[method-assign]
    agi.set_variables = set_variables  # type: ignore[attr-defined]
    task = asyncio.create_task(flow(cast(AgiCall, agi)))
    async with asyncio.timeout(2):  # not after the lock: while it is held
        while prompts.RECORDING_NOTICE not in played:
            await asyncio.sleep(0.01)
    assert played[0].startswith(prompts.GREETING)
    assert store.opened == [] and not task.done()  # the row waits for the lock...
    store.release.set()
    async with asyncio.timeout(2):
        await task
    # ...and is written, its id handed to the dialplan, before anything that needs it.
    assert store.opened == ["1.1"]
    assert agi.variables["HOTLINE_CALL_ID"] == "call-1"
    assert calls[0].call_id == "call-1"
