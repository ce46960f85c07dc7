"""The AMI adapter against a fake AMI server: reconnect, bounded events, quirks of panoramisk."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hotline.settings import AmiSettings
from hotline.transport.ami import AmiActionFailed, AmiClient, AmiNotConnected, AmiNotSent
from tests.fakes.ami_server import FakeAmiServer


@pytest.fixture
async def server() -> AsyncIterator[FakeAmiServer]:
    fake = FakeAmiServer()
    await fake.start()
    yield fake
    await fake.stop()


def settings_for(server: FakeAmiServer, **overrides: object) -> AmiSettings:
    values: dict[str, object] = {
        "port": server.port,
        "reconnect_min_delay": 0.05,
        "reconnect_max_delay": 0.2,
        "ping_interval": 0.2,
        "action_timeout": 1.0,
        "connect_timeout": 2.0,
    }
    values.update(overrides)
    return AmiSettings.model_validate(values)


async def eventually(predicate: object, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.02)


async def test_login_and_command(server: FakeAmiServer) -> None:
    async with AmiClient(settings_for(server), server.secret) as ami:
        assert ami.connected
        assert await ami.command("core show version") == "line one\nline two"
        await ami.ping()
    assert server.logins == 1


async def test_play_dtmf_does_not_break_the_connection(server: FakeAmiServer) -> None:
    # panoramisk issue 97: without as_list=False this reply kills the protocol.
    async with AmiClient(settings_for(server), server.secret) as ami:
        await ami.play_dtmf("Local/1@x;1", "5", 200)
        await ami.ping()
        assert ami.connected
    sent = [a for a in server.actions if a.get("Action") == "PlayDTMF"]
    assert sent[0]["Digit"] == "5" and sent[0]["Duration"] == "200"


async def test_originate_carries_our_ids(server: FakeAmiServer) -> None:
    async with AmiClient(settings_for(server), server.secret) as ami:
        action_id = await ami.originate(
            "Local/100@ctx",
            application="Wait",
            data="10",
            channel_id="att-1",
            other_channel_id="att-1-2",
            variables={"A": "1", "B": "2"},
        )
    assert action_id == "att-1"
    sent = next(a for a in server.actions if a.get("Action") == "Originate")
    assert sent["ChannelId"] == "att-1" and sent["ActionID"] == "att-1"
    assert sent["Variable"] == ["A=1", "B=2"]


async def test_error_response_raises(server: FakeAmiServer) -> None:
    async with AmiClient(settings_for(server), server.secret) as ami:
        with pytest.raises(AmiActionFailed, match="Invalid/unknown command"):
            await ami.action({"Action": "Bogus"})


async def test_wrong_secret_never_connects(server: FakeAmiServer) -> None:
    ami = AmiClient(settings_for(server, connect_timeout=0.3), "wrong")
    try:
        with pytest.raises(AmiNotConnected):
            await ami.start()
    finally:
        await ami.stop()
    assert server.logins == 0


async def test_reconnects_after_the_server_drops_us(server: FakeAmiServer) -> None:
    async with AmiClient(settings_for(server), server.secret) as ami:
        await server.drop_clients()
        await eventually(lambda: ami.login_count >= 2)
        await ami.wait_connected(2.0)
        await ami.ping()


async def test_reconnects_after_the_server_restarts(server: FakeAmiServer) -> None:
    port = server.port
    async with AmiClient(settings_for(server), server.secret) as ami:
        await server.stop()
        await eventually(lambda: not ami.connected)
        await asyncio.sleep(0.3)  # a few refused attempts, with backoff
        await server.start(port)
        await ami.wait_connected(5.0)
        await ami.ping()
        assert ami.login_count == 2


async def test_unanswered_pings_drop_a_dead_connection(server: FakeAmiServer) -> None:
    async with AmiClient(settings_for(server, action_timeout=0.2), server.secret) as ami:
        server.answer_pings = False
        await eventually(lambda: not ami.connected)
        server.answer_pings = True
        await eventually(lambda: ami.login_count >= 2)


async def test_pending_action_fails_instead_of_being_replayed(server: FakeAmiServer) -> None:
    async with AmiClient(settings_for(server, action_timeout=3.0), server.secret) as ami:
        pending = asyncio.create_task(ami.action({"Action": "Hold"}))
        await eventually(lambda: any(a.get("Action") == "Hold" for a in server.actions))
        await server.drop_clients()
        with pytest.raises(AmiNotConnected):
            await pending
        await eventually(lambda: ami.login_count >= 2)
        await asyncio.sleep(0.3)
    assert sum(a.get("Action") == "Hold" for a in server.actions) == 1


async def test_events_reach_subscribers_and_a_slow_one_only_loses_its_own(
    server: FakeAmiServer,
) -> None:
    async with AmiClient(settings_for(server), server.secret) as ami:
        everything = ami.subscribe()
        hangups = ami.subscribe(["Hangup"], maxsize=2)
        for n in range(5):
            await server.emit({"Event": "Hangup", "Uniqueid": f"u{n}", "Cause": "16"})
        await server.emit({"Event": "Newchannel", "Uniqueid": "u9", "Channel": "PJSIP/x"})
        got = [await everything.get(within=2.0) for _ in range(6)]
        assert [e.name for e in got] == ["Hangup"] * 5 + ["Newchannel"]
        assert got[-1]["channel"] == "PJSIP/x"
        # The slow consumer kept the first two and counted the rest as dropped.
        assert [(await hangups.get(within=1.0)).uniqueid for _ in range(2)] == ["u0", "u1"]
        assert hangups.dropped == 3
        await ami.ping()  # the reader never stalled


async def test_send_originate_writes_before_it_returns(server: FakeAmiServer) -> None:
    # A dialer marks an attempt sent, then calls send_originate: nothing may yield between
    # (a worker stopped or killed there would hold a "sent" call that never went out).
    async with AmiClient(settings_for(server), server.secret) as ami:
        assert ami._manager is not None
        transport = ami._manager.protocol.transport
        written: list[bytes] = []
        write = transport.write

        def recording(data: bytes) -> None:
            written.append(data)
            write(data)

        transport.write = recording
        reply = ami.send_originate("Local/100@ctx", application="Wait", data="1", channel_id="a-1")
        assert [w for w in written if b"Action: Originate" in w]  # no await came between
        assert await reply == "a-1"


async def test_send_originate_refuses_when_down_and_writes_nothing(server: FakeAmiServer) -> None:
    ami = AmiClient(settings_for(server), server.secret)  # never connected
    with pytest.raises(AmiNotSent):
        _ = ami.send_originate("Local/100@ctx", application="Wait", data="1", channel_id="a-2")
    assert not [a for a in server.actions if a.get("Action") == "Originate"]
