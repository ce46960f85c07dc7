"""The one check for values that reach a line protocol (issue 14, H1): CR, LF and NUL are
refused, naming the field, by the AMI adapter for every header of every action and by the
AGI encoder (and so by every dialplan-variable setter), before anything is written."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hotline.protocol.agi import encode_arguments, encode_command, quote_argument
from hotline.protocol.lines import LineValueError, has_line_break, line_value
from hotline.settings import AmiSettings
from hotline.transport.ami import AmiClient, AmiValueRefused
from hotline.transport.ami_wire import checked_headers
from tests.fakes.ami_server import FakeAmiServer

INJECTION = "x\r\n\r\nAction: Ping"


@pytest.fixture
async def server() -> AsyncIterator[FakeAmiServer]:
    fake = FakeAmiServer()
    await fake.start()
    yield fake
    await fake.stop()


def _settings(server: FakeAmiServer) -> AmiSettings:
    # No pings of its own during the test: every action the server sees is one we sent.
    return AmiSettings.model_validate(
        {"port": server.port, "ping_interval": 600.0, "action_timeout": 2.0}
    )


def test_ordinary_values_pass_unchanged() -> None:
    for value in ("перерыв", "обработка обращения", "", "a: b", "Local/100@x;1", "\t"):
        assert line_value("Reason", value) == value
        assert not has_line_break(value)


@pytest.mark.parametrize(("bad", "name"), [("\r", "CR"), ("\n", "LF"), ("\x00", "NUL")])
def test_cr_lf_nul_are_refused_naming_the_field(bad: str, name: str) -> None:
    with pytest.raises(LineValueError) as caught:
        line_value("Reason", f"x{bad}Action: Ping")
    assert caught.value.field == "Reason"
    assert str(caught.value).startswith(f"Reason: {name} ")
    assert has_line_break(f"x{bad}")


@pytest.mark.parametrize("bad", ["\r", "\n", "\x00"])
def test_the_agi_encoder_uses_the_same_check(bad: str) -> None:
    with pytest.raises(LineValueError):
        quote_argument(f"a{bad}b")
    with pytest.raises(LineValueError):
        encode_command("SET VARIABLE", "HOTLINE_PATH", f"campaign>x{bad}HANGUP")
    # The dialplan-variable setter's path: AgiCall.set_variable encodes with encode_arguments.
    with pytest.raises(LineValueError):
        encode_arguments("SET VARIABLE", ("HOTLINE_PATH", f"x{bad}"))
    with pytest.raises(LineValueError):
        encode_arguments("SET VARIABLE", (f"NAME{bad}", "x"))
    with pytest.raises(LineValueError):
        encode_command(f"NOOP{bad}HANGUP")


def test_checked_headers_checks_names_values_and_repeated_values() -> None:
    assert checked_headers({"Action": "Ping", "Variable": ["A=1", "B=2"], "Timeout": 5}) == {
        "Action": "Ping",
        "Variable": ["A=1", "B=2"],
        "Timeout": "5",
    }
    with pytest.raises(AmiValueRefused, match="Variable: LF"):
        checked_headers({"Action": "Originate", "Variable": ["A=1", "B=2\nAction: Ping"]})
    with pytest.raises(AmiValueRefused, match="AMI header name"):
        checked_headers({"Action": "Ping", "X\r\nAction": "Ping"})
    with pytest.raises(AmiValueRefused, match="Channel: NUL"):
        checked_headers({"Action": "Hangup", "Channel": "PJSIP/1\x00"})


async def test_an_injected_pause_reason_writes_nothing(server: FakeAmiServer) -> None:
    async with AmiClient(_settings(server), server.secret) as ami:
        before = len(server.actions)
        with pytest.raises(AmiValueRefused, match="Reason"):
            await ami.queue_pause("support", "PJSIP/op1", True, reason=INJECTION)
        # A clean action afterwards: the server has read everything written before it.
        await ami.ping()
        sent = server.actions[before:]
    assert [action["Action"] for action in sent] == ["Ping"], sent
    assert not any(action.get("Action") == "QueuePause" for action in sent)


@pytest.mark.parametrize(
    "send",
    [
        lambda ami: ami.queue_add("support", "PJSIP/op1", member_name=INJECTION),
        lambda ami: ami.originate("Local/8900@x", context="c", exten=INJECTION),
        lambda ami: ami.originate(
            "Local/8900@x", context="c", exten="s", variables={"HOTLINE_PATH": INJECTION}
        ),
        lambda ami: ami.originate(INJECTION, application="Playback", data="x"),
        lambda ami: ami.hangup(INJECTION),
        lambda ami: ami.action({"Action": "UserEvent", "UserEvent": "m", "Body": INJECTION}),
    ],
)
async def test_every_action_is_checked_before_it_is_written(
    server: FakeAmiServer, send: object
) -> None:
    async with AmiClient(_settings(server), server.secret) as ami:
        before = len(server.actions)
        with pytest.raises(AmiValueRefused):
            await send(ami)  # type: ignore[operator]
        await ami.ping()
        assert [action["Action"] for action in server.actions[before:]] == ["Ping"]
