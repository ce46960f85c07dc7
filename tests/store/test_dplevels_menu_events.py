"""The rendered levels' UserEvents written into the call log as the engine's walk writes them
(hotline/calls/menu_events.py), on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest

from hotline.calls.menu_events import MenuEvents
from hotline.dialplan.names import CONTEXT_IVR_NODE, CONTEXT_OPERATOR
from hotline.protocol.ami import AmiEvent
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome
from hotline.transport.ami import Subscription

UNIQUEID = "1765000000.42"
T0 = 1765000000.0


def event(name: str, at: float, **headers: str) -> AmiEvent:
    items = [("Event", name), ("Uniqueid", UNIQUEID), ("Timestamp", f"{T0 + at:.6f}")]
    return AmiEvent.from_headers([*items, *headers.items()])


def menu(at: float, kind: str, value: str, **headers: str) -> AmiEvent:
    return event("UserEvent", at, UserEvent="HotlineMenu", Kind=kind, Value=value, **headers)


def prompt(at: float, prompt_id: str, duration: float = 4.0) -> AmiEvent:
    return menu(at, "prompt", prompt_id, File=f"/s/{prompt_id}", Duration=f"{duration:.3f}")


def key(at: float, digit: str, waiting: str = "0", again: str = "0") -> AmiEvent:
    return menu(at, "digits", digit, Waiting=waiting, Again=again, Node="main")


@pytest.fixture
async def call_log(tmp_path: Path) -> AsyncIterator[CallLog]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'calls.db'}")
    await db.upgrade()
    log = CallLog(db)
    await log.open(uniqueid=UNIQUEID, direction=CallDirection.INBOUND, caller="79130000000")
    yield log
    await db.dispose()


async def feed(call_log: CallLog, *events: AmiEvent) -> list[dict[str, Any]]:
    writer = MenuEvents(cast(Subscription, None), call_log)
    for item in events:
        await writer.handle(item)
    record = await call_log.get(uniqueid=UNIQUEID)
    assert record is not None
    return [e.to_dict() for e in record.events]


def level(
    at: float, node: str, prompt: str, duration: float = 4.0, pressed: str = "-"
) -> AmiEvent:
    """A level's entry: the node, the key that led there and the prompt it starts."""
    return menu(
        at,
        "node",
        node,
        Key=pressed,
        Prompt=prompt,
        File=f"/s/{prompt}",
        Duration=f"{duration:.3f}",
    )


async def test_nodes_prompts_and_keys_as_the_engine_writes_them(call_log: CallLog) -> None:
    events = await feed(
        call_log,
        level(0.0, "main", "ivr.main.short"),
        key(1.5, "8"),  # an invalid key over the prompt: 1.5 s of it played
        prompt(1.6, "ivr.invalid", 2.0),
        # 3 over the invalid notice (main entered again first), reported with info's entry.
        level(2.1, "info", "ivr.info", 1.0, pressed="3/0/1/main"),
        # 0 while info waited (its prompt played whole), reported with the engine's event.
        menu(5.0, "engine", "operator", Node="info", Key="0/1/0/info"),
        event("Hangup", 30.0, Context=CONTEXT_OPERATOR),
    )
    assert [(e["kind"], e["value"]) for e in events] == [
        ("node", "main"),
        ("prompt", "ivr.main.short"),
        ("digits", "8"),
        ("prompt", "ivr.invalid"),
        ("digits", "3"),
        ("node", "main"),
        ("node", "info"),
        ("prompt", "ivr.info"),
        ("digits", "0"),
    ]
    played = [e["detail"]["played"] for e in events if e["kind"] == "prompt"]
    assert played == [1.5, 0.5, 1.0]
    assert events[1]["detail"]["file"] == "/s/ivr.main.short"
    assert events[1]["detail"]["duration"] == 4.0
    keys = [e["detail"] for e in events if e["kind"] == "digits"]
    assert keys == [{"barge_in": True}, {"barge_in": True}, {"timed_out": False}]
    record = await call_log.get(uniqueid=UNIQUEID)
    assert record is not None and record.path == ("main", "main", "info")
    # The engine took the call (to the queue): no outcome written here.
    assert record.outcome is None


async def test_a_silent_round_is_a_timed_out_key(call_log: CallLog) -> None:
    events = await feed(call_log, menu(0.0, "node", "main"), menu(6.0, "digits", "", Waiting="1"))
    assert events[-1]["value"] == "" and events[-1]["detail"] == {"timed_out": True}


async def test_a_caller_who_hangs_up_on_a_level_abandoned_it(call_log: CallLog) -> None:
    await feed(
        call_log,
        level(0.1, "main", "ivr.main.short"),
        event("Hangup", 2.1, Context="hotline-menu-abc-main"),
    )
    record = await call_log.get(uniqueid=UNIQUEID)
    assert record is not None and record.outcome == CallOutcome.ABANDONED
    prompts = [e for e in record.events if e.kind == "prompt"]
    assert prompts[0].detail is not None and prompts[0].detail["played"] == 2.0
    assert [e.value for e in record.events if e.kind == "status"] == ["caller hung up"]


async def test_goodbye_completes_the_call(call_log: CallLog) -> None:
    await feed(
        call_log,
        menu(0.0, "node", "goodbye"),
        prompt(0.1, "ivr.goodbye", 1.0),
        menu(1.2, "completed", "goodbye"),
        event("Hangup", 1.3, Context="hotline-menu-abc-info"),
    )
    record = await call_log.get(uniqueid=UNIQUEID)
    assert record is not None and record.outcome == CallOutcome.COMPLETED


async def test_a_hang_up_in_the_engine_is_the_engines_to_record(call_log: CallLog) -> None:
    await feed(
        call_log,
        menu(0.0, "node", "main"),
        menu(1.0, "engine", "action", Node="readings"),
        event("Hangup", 9.0, Context=CONTEXT_IVR_NODE),
    )
    record = await call_log.get(uniqueid=UNIQUEID)
    assert record is not None and record.outcome is None


async def test_other_user_events_and_calls_are_left_alone(call_log: CallLog) -> None:
    other = AmiEvent.from_headers(
        [("Event", "UserEvent"), ("Uniqueid", UNIQUEID), ("UserEvent", "HotlineVoiceQuality")]
    )
    events = await feed(call_log, other, event("Hangup", 1.0, Context="hotline-inbound"))
    assert events == []
