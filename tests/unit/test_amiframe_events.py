"""AMI events parsed straight from their frames (issue 19): ``AmiEvent.from_frame`` gives
what panoramisk's ``Message.from_line`` then ``AmiEvent.from_headers`` gave, or declines
(None) and the frame goes that way; the reader hands plain events to the client that way
and everything else (replies to actions, Shutdown) to panoramisk as before."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from panoramisk.message import Message

from hotline.protocol.ami import AmiEvent
from hotline.transport.ami_wire import BoundedAmiProtocol
from tests.fuzz import fuzz

FUZZ = fuzz(500)
PLAIN_KEYS = ["Privilege", "Channel", "Uniqueid", "Linkedid", "CallerIDNum", "Context", "Exten"]
# Headers that change what panoramisk makes of a message, in several cases each.
ODD_KEYS = [
    "Result",
    "result",
    "ActionID",
    "actionid",
    "CommandID",
    "Content",
    "content",
    "ChanVariable(HOTLINE_CALL_ID)",
    "chanvariable(x)",
    "Channel",
    "CHANNEL",
    "Event",
    "",
]
TEXT = st.text(st.characters(blacklist_characters="\r", blacklist_categories=["Cs"]), max_size=20)
KEYS = st.sampled_from(PLAIN_KEYS + ODD_KEYS) | TEXT.filter(lambda key: ": " not in key)
LINES = st.lists(
    st.tuples(KEYS, TEXT).map(lambda pair: f"{pair[0]}: {pair[1]}") | TEXT, max_size=12
)


def _through_panoramisk(frame: str) -> AmiEvent | None:
    message = Message.from_line(frame)
    return None if message is None else AmiEvent.from_headers(message.items(), 1.0)


@FUZZ
@given(name=st.sampled_from(["Newchannel", "UserEvent", "Hangup"]) | TEXT, lines=LINES)
def test_an_event_from_its_frame_is_the_event_panoramisk_gave(name: str, lines: list[str]) -> None:
    frame = "\r\n".join([f"Event: {name}", *lines])
    direct = AmiEvent.from_frame(frame, 1.0)
    if direct is not None:
        assert direct == _through_panoramisk(frame)


@FUZZ
@given(
    name=st.sampled_from(["Newchannel", "UserEvent", "Hangup", "DTMFEnd"]),
    values=st.lists(TEXT, min_size=len(PLAIN_KEYS), max_size=len(PLAIN_KEYS)),
)
def test_a_plain_event_is_parsed_in_one_pass(name: str, values: list[str]) -> None:
    frame = "\r\n".join(
        [
            f"Event: {name}",
            *(f"{key}: {value}" for key, value in zip(PLAIN_KEYS, values, strict=True)),
        ]
    )
    direct = AmiEvent.from_frame(frame, 1.0)
    assert direct is not None
    assert direct == _through_panoramisk(frame)
    assert direct.get("UNIQUEID") == values[2]


def test_what_panoramisk_reads_otherwise_is_declined() -> None:
    base = "Event: Newchannel\r\nUniqueid: 1.1\r\n"
    for extra in (
        "ActionID: 7",
        "actionid: 7",
        "CommandID: 7",
        "Result: 1",
        "ChanVariable(A): 1",
        "Uniqueid: 1.2",
        "UNIQUEID: 1.2",
    ):
        assert AmiEvent.from_frame(base + extra) is None, extra
    assert AmiEvent.from_frame("Response: Success\r\nMessage: ok") is None
    assert AmiEvent.from_frame("garbage") is None


class _Factory:
    """What the reader asks of the client: which events, then the frame or the message."""

    def __init__(self, take_frames: bool) -> None:
        self.take_frames = take_frames
        self.frames: list[str] = []
        self.messages: list[Any] = []

    def wants_event(self, name: str) -> bool:
        return True

    def dispatch_frame(self, frame: str) -> bool:
        if self.take_frames and "Shutdown" not in frame:
            self.frames.append(frame)
            return True
        return False

    def dispatch(self, message: Any) -> None:
        self.messages.append(message)

    def connection_lost(self, exc: object) -> None:
        pass


def _reader(factory: _Factory) -> BoundedAmiProtocol:
    protocol = BoundedAmiProtocol()
    protocol.factory = factory
    protocol.responses = {}
    protocol.closed = True  # nothing to close when Shutdown arrives
    protocol._pending, protocol._decoder, protocol.skipped = "", None, 0
    protocol.version = "11.0.0"
    return protocol


def test_the_reader_hands_plain_events_over_as_frames_and_the_rest_as_messages() -> None:
    factory = _Factory(take_frames=True)
    reader = _reader(factory)
    reader.data_received(
        b"Event: Newchannel\r\nUniqueid: 1.1\r\n\r\n"
        b"Event: CoreShowChannel\r\nActionID: 9\r\nUniqueid: 1.2\r\n\r\n"
        b"Event: Shutdown\r\nShutdown: Cleanly\r\n\r\n"
    )
    assert factory.frames == ["Event: Newchannel\r\nUniqueid: 1.1"]
    assert [m["event"] for m in factory.messages] == ["CoreShowChannel", "Shutdown"]


def test_a_frame_the_client_declines_goes_the_usual_way() -> None:
    factory = _Factory(take_frames=False)
    _reader(factory).data_received(b"Event: Newchannel\r\nUniqueid: 1.1\r\n\r\n")
    assert [m["uniqueid"] for m in factory.messages] == ["1.1"]
