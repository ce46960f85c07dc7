"""The FastAGI session's value objects built as tuples (issue 19 item 2): the environment and
the commands' results are NamedTuples filled positionally by ``tuple.__new__``, so a field
listed out of order would silently swap two values.  Every field is checked by name."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import cast

import pytest

from hotline.protocol import agi
from hotline.transport.agi_call import AgiCall

_HEADER = (
    "agi_network: yes\n"
    "agi_network_script: ivr?x=1\n"
    "agi_request: agi://127.0.0.1:4573/ivr?x=1\n"
    "agi_channel: PJSIP/trunk-0000002a\n"
    "agi_language: ru\n"
    "agi_uniqueid: 1764761234.56\n"
    "agi_callerid: 79131234567\n"
    "agi_calleridname: Иван\n"
    "agi_dnid: 88005553535\n"
    "agi_context: hotline-inbound\n"
    "agi_extension: s\n"
    "agi_priority: 7\n"
    "agi_arg_2: second\n"
    "agi_arg_1: first\n"
)


def test_every_environment_field_holds_its_own_header_line() -> None:
    env = agi.parse_header_block(_HEADER)
    assert env.uniqueid == "1764761234.56"
    assert env.channel == "PJSIP/trunk-0000002a"
    assert env.callerid == "79131234567"
    assert env.calleridname == "Иван"
    assert env.dnid == "88005553535"
    assert env.extension == "s"
    assert env.context == "hotline-inbound"
    assert env.priority == 7
    assert env.language == "ru"
    assert env.request == "agi://127.0.0.1:4573/ivr?x=1"
    assert env.network_script == "ivr?x=1"
    assert env.arguments == ("first", "second")
    assert env.raw["agi_network"] == "yes"
    assert env.route == "ivr"
    assert env == agi.AgiEnvironment(**env._asdict())


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("agi_callerid: unknown\n", None),
        ("agi_callerid: \n", None),
        ("", None),  # no line at all
        ("agi_callerid: 0\n", "0"),
        ("agi_callerid: Unknown\n", "Unknown"),  # only Asterisk's own lowercase word
    ],
)
def test_an_absent_caller_id_is_none(line: str, expected: str | None) -> None:
    env = agi.parse_header_block(f"agi_uniqueid: 1.2\nagi_channel: PJSIP/x-1\n{line}")
    assert env.callerid == expected
    assert env.dnid is None and env.calleridname is None


def test_the_values_cannot_be_changed() -> None:
    env = agi.parse_header_block(_HEADER)
    with pytest.raises(AttributeError):
        env.uniqueid = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        env.raw["agi_channel"] = "other"  # type: ignore[index]
    result = agi.new_result(agi.PlaybackResult, ("#", 12000))
    with pytest.raises(AttributeError):
        result.digit = "1"  # type: ignore[misc]


def test_results_built_positionally_read_by_name() -> None:
    played = agi.new_result(agi.PlaybackResult, ("#", 12000))
    assert (played.digit, played.endpos, played.seconds) == ("#", 12000, 1.5)
    assert played == agi.PlaybackResult(digit="#", endpos=12000)
    digits = agi.new_result(agi.DigitsResult, ("4271", False))
    assert (digits.digits, digits.timed_out) == ("4271", False)
    recorded = agi.RecordResult(digit=None, endpos=3, reason="hangup")
    assert (recorded.digit, recorded.endpos, recorded.reason) == (None, 3, "hangup")
    assert not dataclasses.is_dataclass(played)  # the tuple path above, not __init__


def test_the_result_table_answers_as_result_digit() -> None:
    for code in range(128):
        assert agi.RESULT_DIGITS[str(code)] == agi.result_digit(str(code))
    assert "035" not in agi.RESULT_DIGITS and agi.result_digit("035") == "#"  # parsed instead


@pytest.mark.parametrize(
    "reply",
    [b"200 result=0 endpos=abc\n", b"200 result=x endpos=0\n", b"200 result=35 endpos=\n"],
)
async def test_a_garbled_playback_reply_is_a_protocol_error(reply: bytes) -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(reply)
    reader.feed_eof()
    env = agi.parse_environment(["agi_uniqueid: 1.2", "agi_channel: PJSIP/x-1"])
    call = AgiCall(env, reader, cast(asyncio.StreamWriter, _Writer()), command_timeout=1)
    with pytest.raises(agi.AgiProtocolError, match="expected a"):
        await call.stream_file("beep", "#")


async def test_playback_results_read_as_before() -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(b"200 result=35 endpos=4000\n200 result=0\n200 result=049 endpos=8\n")
    reader.feed_eof()
    env = agi.parse_environment(["agi_uniqueid: 1.2", "agi_channel: PJSIP/x-1"])
    call = AgiCall(env, reader, cast(asyncio.StreamWriter, _Writer()), command_timeout=1)
    assert await call.stream_file("beep", "#") == agi.PlaybackResult("#", 4000)
    assert await call.stream_file("beep") == agi.PlaybackResult(None, 0)
    assert await call.stream_file("beep", "1") == agi.PlaybackResult("1", 8)  # parsed


class _Writer:
    """What AgiCall writes to, kept (a StreamWriter's write)."""

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data
