"""Issue 21 item 4: the AMI reader under random and mutated input.

Hypothesis feeds the reader (``BoundedAmiProtocol``) random bytes and mutated real captures
cut into random chunks: it never raises, its buffer stays bounded, and a well-formed event
after the garbage still arrives.  The crashes the fuzzing found in panoramisk's reader are
named regression tests below, driven through the real ``AmiClient`` against a fake AMI
server: a repeated ``ActionID`` or ``Event`` header dropped the connection, a Cyrillic
letter cut between two reads was lost, and a message without an end grew without bound.
Fixed budget, derandomized, no example database: the same examples on every run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.protocol.ami import AmiEvent
from hotline.settings import AmiSettings
from hotline.transport.ami import AmiClient
from hotline.transport.ami_wire import MAX_MESSAGE_CHARS, BoundedAmiProtocol
from tests.fakes.ami_server import FakeAmiServer
from tests.fuzz import fuzz

FUZZ = fuzz(300)

# What Asterisk 22 sends on a call, as captured from the sandbox (numbers are test numbers).
CAPTURE = (
    b"Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/sim-00000001\r\n"
    b"ChannelState: 4\r\nChannelStateDesc: Ring\r\nCallerIDNum: 79131234567\r\n"
    + "CallerIDName: Иван Петров\r\n".encode()
    + b"Context: hotline-inbound\r\nExten: 100\r\nUniqueid: 1700000000.1\r\n"
    b"Linkedid: 1700000000.1\r\n\r\n"
    b"Event: VarSet\r\nChannel: PJSIP/sim-00000001\r\nVariable: HOTLINE_STATUS\r\n"
    b"Value: DONE\r\nUniqueid: 1700000000.1\r\n\r\n"
    b"Response: Success\r\nActionID: a1\r\nMessage: Originate successfully queued\r\n\r\n"
    b"Event: OriginateResponse\r\nActionID: a1\r\nResponse: Failure\r\nReason: 3\r\n"
    b"Uniqueid: 1700000000.2\r\n\r\n"
    b"Event: Hangup\r\nChannel: PJSIP/sim-00000001\r\nUniqueid: 1700000000.1\r\n"
    b"Cause: 16\r\nCause-txt: Normal Clearing\r\n\r\n"
)
PROBE = b"Event: FuzzProbe\r\nUniqueid: probe\r\n\r\n"


class _Transport:
    def __init__(self) -> None:
        self.closed = False

    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        self.closed = True


class _Factory:
    forgetable_actions: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.awaiting_actions: list[Any] = []
        self.events: list[Any] = []

    def dispatch(self, message: Any) -> None:
        self.events.append(message)

    def connection_lost(self, exc: object) -> None:
        pass


def reader() -> tuple[BoundedAmiProtocol, _Factory, _Transport]:
    protocol = BoundedAmiProtocol()
    transport = _Transport()
    protocol.connection_made(transport)
    factory = _Factory()
    protocol.factory = factory
    protocol.encoding = "utf8"
    return protocol, factory, transport


@st.composite
def mutated_capture(draw: st.DrawFn) -> bytes:
    """The capture with a few bytes flipped, inserted (NUL, CR, LF, a stray colon, a
    repeated header) or deleted, and perhaps truncated."""
    data = bytearray(CAPTURE)
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "insert", "delete"]))
        if kind == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    [b"\x00", b"\r", b"\n", b"\r\n\r\n", b": ", b"\xff\xfe", b"ActionID: a1\r\n"]
                )
            )
        elif at < len(data):
            del data[at]
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    chunks, start = [], 0
    for point in [*points, len(data)]:
        chunks.append(data[start:point])
        start = point
    return [c for c in chunks if c]


@FUZZ
@given(
    st.one_of(mutated_capture(), st.binary(max_size=600)),
    st.lists(st.integers(0, 10_000), max_size=12),
)
def test_the_reader_survives_any_input_and_recovers(data: bytes, cuts: list[int]) -> None:
    protocol, factory, transport = reader()
    for chunk in chunked(data, cuts):
        protocol.data_received(chunk)
    assert protocol.pending_chars <= MAX_MESSAGE_CHARS
    # After whatever came, a message boundary and a good event: it is read.
    protocol.data_received(b"\r\n\r\n" + PROBE)
    assert factory.events and factory.events[-1]["Event"] == "FuzzProbe"
    assert not transport.closed


@FUZZ
@given(st.lists(st.binary(min_size=1, max_size=64 * 1024), min_size=1, max_size=40))
def test_a_message_without_an_end_never_grows_past_the_bound(chunks: list[bytes]) -> None:
    protocol, _, _ = reader()
    for chunk in chunks:
        protocol.data_received(chunk.replace(b"\r\n\r\n", b"\r\n"))
        assert protocol.pending_chars <= MAX_MESSAGE_CHARS


# --- Regressions, through the real client -----------------------------------------------------


@pytest.fixture
async def server() -> AsyncIterator[FakeAmiServer]:
    fake = FakeAmiServer()
    await fake.start()
    yield fake
    await fake.stop()


def client_for(server: FakeAmiServer) -> AmiClient:
    settings = AmiSettings.model_validate(
        {
            "port": server.port,
            "reconnect_min_delay": 0.05,
            "reconnect_max_delay": 0.2,
            "ping_interval": 0.5,
            "action_timeout": 1.0,
            "connect_timeout": 2.0,
        }
    )
    return AmiClient(settings, server.secret)


async def send_raw(server: FakeAmiServer, data: bytes, *, pause: float = 0.0) -> None:
    for writer in server.writers:
        writer.write(data)
        await writer.drain()
        if pause:
            await asyncio.sleep(pause)


async def next_event(events: Any, name: str) -> AmiEvent:
    async with asyncio.timeout(5):
        while True:
            event: AmiEvent = await events.get()
            if event.name == name:
                return event


@pytest.mark.parametrize(
    "odd",
    [
        b"Event: Hangup\r\nActionID: 1\r\nActionID: 2\r\nUniqueid: x\r\n\r\n",
        b"Event: Hangup\r\nEvent: Newchannel\r\nUniqueid: x\r\n\r\n",
        b"Response: Success\r\nActionID: a\r\nActionID: b\r\n\r\n",
    ],
    ids=["repeated-actionid", "repeated-event", "response-repeated-actionid"],
)
async def test_a_message_with_repeated_headers_is_skipped_and_the_connection_kept(
    server: FakeAmiServer, odd: bytes
) -> None:
    async with client_for(server) as ami:
        events = ami.subscribe(["FuzzProbe"])
        await send_raw(server, odd + PROBE)
        assert (await next_event(events, "FuzzProbe")).uniqueid == "probe"
        assert ami.login_count == 1
        await ami.ping()


async def test_a_cyrillic_letter_cut_between_two_reads_arrives_whole(
    server: FakeAmiServer,
) -> None:
    message = "Event: FuzzProbe\r\nCallerIDName: Иван\r\nUniqueid: probe\r\n\r\n".encode()
    cut = message.index("Иван".encode()) + 1  # inside the first letter's two bytes
    async with client_for(server) as ami:
        events = ami.subscribe(["FuzzProbe"])
        await send_raw(server, message[:cut])
        await asyncio.sleep(0.05)  # two separate reads on our side
        await send_raw(server, message[cut:])
        assert (await next_event(events, "FuzzProbe")).get("calleridname") == "Иван"


async def test_a_message_without_an_end_drops_the_connection_and_it_comes_back(
    server: FakeAmiServer,
) -> None:
    async with client_for(server) as ami:
        endless = b"Event: Flood\r\n" + b"X-Filler: " + b"y" * (MAX_MESSAGE_CHARS + 1024)
        await send_raw(server, endless)
        async with asyncio.timeout(5):
            while ami.login_count < 2 or not ami.connected:
                await asyncio.sleep(0.02)
        await ami.ping()
