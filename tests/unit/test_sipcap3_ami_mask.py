"""Issue 19 item 1: the engine's AMI session asks Asterisk only for the event classes its
subscriptions take (``Events:`` on Login, widened by an ``Events`` action when a later
subscription needs more), derived from the subscriptions' names, never a fixed list.

Checked against the old code: its Login said ``Events: on`` and no Events action was sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from dialer.attempts import DIALER_EVENTS
from hotline.calls.tracker import TRACKED_EVENTS
from hotline.contact_center.callback_dial import EVENTS as DIAL_EVENTS
from hotline.contact_center.desk import WRAPUP_EVENTS
from hotline.contact_center.queue_tracker import TRACKED_QUEUE_EVENTS
from hotline.contact_center.transfers import TRANSFER_EVENTS
from hotline.protocol.ami import AmiEvent
from hotline.protocol.ami_classes import ALL_CLASSES, EVENT_CLASSES, event_mask
from hotline.transport.ami import AmiClient
from hotline.transport.ami_events import Subscription, Subscriptions, user_event
from tests.fakes.ami_server import FakeAmiServer
from tests.unit.test_ami_client import settings_for

# Generous: only bounds a hang, never decides the outcome.
WITHIN = 30.0


@pytest.fixture
async def server() -> AsyncIterator[FakeAmiServer]:
    fake = FakeAmiServer()
    await fake.start()
    yield fake
    await fake.stop()


def sent(server: FakeAmiServer, action: str) -> list[dict[str, str | list[str]]]:
    return [a for a in server.actions if str(a.get("Action", "")).lower() == action]


async def until(predicate: object) -> None:
    async with asyncio.timeout(WITHIN):
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.01)


def test_the_engines_subscriptions_leave_out_agi_dtmf_and_rtcp() -> None:
    engine = (
        *TRACKED_EVENTS,
        *TRACKED_QUEUE_EVENTS,
        *TRANSFER_EVENTS,
        *DIAL_EVENTS,
        *WRAPUP_EVENTS,
        *DIALER_EVENTS,
    )
    assert event_mask(engine) == "agent,call,dialplan,system,user"
    for busy in ("AGIExecStart", "AGIExecEnd", "DTMFBegin", "DTMFEnd", "RTCPSent"):
        assert EVENT_CLASSES[busy.lower()] not in event_mask(engine).split(",")


def test_a_name_of_unknown_class_asks_for_every_class() -> None:
    assert event_mask(["Hangup", "SomethingNew"]) == ALL_CLASSES
    assert event_mask(None) == ALL_CLASSES
    assert event_mask(["hangup"]) == "call,system"


async def test_login_asks_for_the_subscriptions_classes(server: FakeAmiServer) -> None:
    ami = AmiClient(settings_for(server), server.secret)
    ami.subscribe(["Hangup", "Newexten"])
    async with ami:
        await ami.ping()
    (login,) = sent(server, "login")
    assert login["Events"] == "call,dialplan,system"
    assert sent(server, "events") == []


async def test_a_client_without_subscriptions_logs_in_for_everything(
    server: FakeAmiServer,
) -> None:
    async with AmiClient(settings_for(server), server.secret) as ami:
        await ami.ping()
    assert sent(server, "login")[0]["Events"] == ALL_CLASSES


async def test_a_later_subscription_widens_the_mask(server: FakeAmiServer) -> None:
    ami = AmiClient(settings_for(server), server.secret)
    ami.subscribe(["Hangup"])
    async with ami:
        ami.subscribe(["Newchannel"])  # the same class: nothing to ask
        ami.subscribe(["AGIExecStart"])
        await until(lambda: sent(server, "events"))
        ami.subscribe(["SomethingNew"])
        await until(lambda: len(sent(server, "events")) == 2)
        await ami.ping()
    assert [a["EventMask"] for a in sent(server, "events")] == ["agi,call,system", ALL_CLASSES]


async def test_a_reconnect_logs_in_with_every_subscriptions_classes(
    server: FakeAmiServer,
) -> None:
    ami = AmiClient(settings_for(server), server.secret)
    ami.subscribe(["Hangup"])
    async with ami:
        ami.subscribe(["UserEvent"])
        await server.drop_clients()
        await until(lambda: ami.login_count >= 2)
        await ami.wait_connected(WITHIN)
    assert sent(server, "login")[-1]["Events"] == "call,system,user"


def test_a_subscription_to_one_kind_of_user_event_takes_that_kind_alone() -> None:
    """Five consumers of the engine each read one kind of UserEvent; subscribed to all, each
    woke for every key pressed on the menu's levels in dialplan (issue 19 item 1)."""

    def user(kind: str) -> AmiEvent:
        return AmiEvent("UserEvent", {"userevent": kind, "uniqueid": "1.1"})

    subs = Subscriptions()
    menu = subs.add(frozenset({user_event("HotlineMenu").lower(), "hangup"}), 10)
    legs = subs.add(frozenset({user_event("HotlineNodeLeg").lower()}), 10)
    every = subs.add(frozenset({"userevent", user_event("HotlineMenu").lower()}), 10)
    for event in (user("HotlineMenu"), user("hotlinemenu"), user("HotlineNodeLeg"), user("")):
        for sub in subs.all:
            sub.offer(event)
    hangup = AmiEvent("Hangup", {"uniqueid": "1.1"})
    for sub in subs.all:
        sub.offer(hangup)

    def taken(sub: Subscription) -> list[str]:
        events = []
        while not sub.queue.empty():
            event = sub.queue.get_nowait()
            events.append(event.get("userevent") or event.name)
        return events

    assert taken(menu) == ["HotlineMenu", "hotlinemenu", "Hangup"]
    assert taken(legs) == ["HotlineNodeLeg"]
    assert taken(every) == ["HotlineMenu", "hotlinemenu", "HotlineNodeLeg", "UserEvent"]
    # The reader reads UserEvents (its name, not the kind) and the session asks for them.
    assert subs.wanted == frozenset({"userevent", "hangup"})
    assert subs.login_mask() == "call,system,user"
    assert event_mask([user_event("HotlineMenu")]) == "system,user"
