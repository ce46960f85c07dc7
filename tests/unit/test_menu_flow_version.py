"""MenuFlow.use(): new calls get the new menu; a call already walking keeps its own."""

from __future__ import annotations

from typing import Any, cast

import pytest

from hotline.settings import load_settings
from hotline.speech.library import PromptLibrary
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.recordings import Recordings
from hotline.transport.fastagi import AgiCall
from ivr.menu import flow as menu_flow
from ivr.menu.flow import MenuFlow
from ivr.menu.model import Menu, MenuNode
from ivr.menu.walk import Walk
from tests.unit.test_menu_model import base, parse


class FakeLog:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    async def add_event(self, uniqueid: str, kind: str, value: str) -> None:
        self.events.append((uniqueid, kind, value))

    # The batched writer (CallLog.note) and CallLog.record record the same way for this test.
    note = add_event
    record = add_event


class FakeCall:
    def __init__(self, agi: Any, log: Any, library: Any, callbacks: Any) -> None:
        self.uniqueid = "u1"
        self.entered: list[str] = []

    async def open(self) -> None:
        pass

    # The flow starts the call's row and lets the greeting play meanwhile (issue 21).
    async def start_open(self) -> None:
        pass

    async def settle(self) -> None:
        pass

    async def enter(self, node: str) -> None:
        self.entered.append(node)


def menus() -> tuple[Menu, Menu]:
    new = base()
    new["name"] = "new"
    new["nodes"]["main"]["options"] = {"1": "readings", "2": "bye", "3": "info"}
    return parse(base()), parse(new)


def flow(menu: Menu, log: FakeLog) -> MenuFlow:
    async def never() -> Any:
        raise AssertionError("not reached")

    return MenuFlow(
        menu,
        load_settings(environ={}),
        cast(CallLog, log),
        cast(PromptLibrary, None),
        never,
        never,
        recordings=cast(Recordings, None),
        callbacks=cast(CallbackStore, None),
    )


async def test_a_call_keeps_the_menu_it_started_with(monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = menus()
    log = FakeLog()
    subject = flow(old, log)
    subject.use(old, 1)
    monkeypatch.setattr(menu_flow, "IvrCall", FakeCall)
    seen: list[str] = []

    async def run(call: Any, menu: Menu) -> None:
        subject.use(new, 2)  # published while this call walks
        walk = Walk(call, False, [menu.start, "info"], menu)
        levels: list[MenuNode] = []

        async def level(_walk: Any, node: MenuNode) -> None:
            levels.append(node)
            seen.append(_walk.menu.name)

        monkeypatch.setattr(subject, "_menu_level", level)
        await subject._step(walk)
        walk.stack.pop()
        await subject._step(walk)
        assert [n.options for n in levels][1] == old.node("main").options

    monkeypatch.setattr(subject, "_run", run)
    await subject(cast(AgiCall, object()))
    assert seen == ["test", "test"]
    assert log.events == [("u1", "menu_version", "1")]

    # The next call gets the new one.
    async def second(call: Any, menu: Menu) -> None:
        seen.append(menu.name)

    monkeypatch.setattr(subject, "_run", second)
    await subject(cast(AgiCall, object()))
    assert seen[-1] == "new"
    assert log.events[-1] == ("u1", "menu_version", "2")


def test_the_menu_file_is_logged_as_file() -> None:
    old, _ = menus()
    subject = flow(old, FakeLog())
    assert subject.version is None
    assert menu_flow._version_label(None) == "file"
