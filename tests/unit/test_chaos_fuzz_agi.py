"""Issue 21 item 4: the AGI parsers and the FastAGI server under random and mutated input.

The pure parsers raise only their own ``AgiError`` on any line.  The server, on a socket, is
sent mutated real headers (bytes flipped, inserted NUL/CR/LF, invalid UTF-8, cut short,
oversized lines) and, after a good header, mutated replies to a handler's commands: the
connection always ends within a bound, the handler only ever sees an ``AgiError``, and the
server still serves a good call afterwards.  Fixed budget, derandomized, no example
database: the same examples on every run."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from hypothesis import given
from hypothesis import strategies as st

from hotline.protocol import agi
from hotline.settings import FastAgiSettings
from hotline.transport.fastagi import AgiCall, AgiRoutes, FastAgiServer
from tests.fakes.agi_client import asterisk_header
from tests.fuzz import fuzz

FUZZ = fuzz(150)
BOUND = 10.0  # ceiling for one session; nothing here waits near it unless something hangs
HEADER = ("\n".join(asterisk_header(calleridname="Иван Петров")) + "\n\n").encode()
# Replies Asterisk 22 sends to the commands the handler below issues.
REPLIES = [
    b"200 result=0 endpos=16000\n",
    b"200 result=49 endpos=800\n",
    b"200 result=123 (timeout)\n",
    b"200 result=1 (DONE)\n",
    b"520-Invalid command syntax.  Proper usage follows:\nUsage: x\n520 End of proper usage.\n",
    b"HANGUP\n",
    b"511 Command Not Permitted on a dead channel or intercept routine\n",
]
INSERTS = [b"\x00", b"\r", b"\n", b"\xff", b"\xd0", b" ", b"(", b")", b"=", b"-1", b"HANGUP\n"]


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(0, 5))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "repeat"]))
        if kind == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(INSERTS))
        elif kind == "repeat":  # an oversized line
            data[at:at] = b"x" * draw(st.sampled_from([100, 5000, 70_000]))
        elif at < len(data):
            del data[at]
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


_TOKEN = st.text(alphabet="0123456789-x()= \x00\u0416", max_size=6)
# A reply of the right shape with odd values: "200 result=<?> (<?>) endpos=<?>".
reply_like = st.builds(
    lambda result, data, endpos: (
        f"200 result={result}{f' ({data})' if data is not None else ''}"
        f"{f' endpos={endpos}' if endpos is not None else ''}\n"
    ).encode(),
    _TOKEN,
    st.none() | _TOKEN,
    st.none() | _TOKEN,
)
any_reply = st.one_of(st.sampled_from(REPLIES).flatmap(mutated), reply_like)


# --- The pure parsers -------------------------------------------------------------------------

lines = st.one_of(
    st.text(max_size=120),
    st.binary(max_size=120).map(lambda b: b.decode("utf-8", "replace")),
    st.sampled_from([r.decode() for r in REPLIES]).flatmap(
        lambda r: mutated(r.encode()).map(lambda b: b.decode("utf-8", "replace"))
    ),
)


@FUZZ
@given(lines)
def test_reply_parsers_raise_only_agi_errors(line: str) -> None:
    for parse in (
        agi.parse_reply,
        agi.parse_header_line,
        agi.parse_header_block,
        lambda text: agi.parse_usage_block(text.split("\n")),
    ):
        with contextlib.suppress(agi.AgiError):
            parse(line)


@FUZZ
@given(mutated(HEADER))
def test_header_parser_raises_only_agi_errors(header: bytes) -> None:
    with contextlib.suppress(agi.AgiError):
        agi.parse_header_block(header.decode("utf-8", "replace").split("\n\n", 1)[0] + "\n")


# --- The server -------------------------------------------------------------------------------

Handler = Callable[[AgiCall], Awaitable[None]]


async def with_server(handler: Handler, exchange: Callable[[int], Awaitable[None]]) -> None:
    routes = AgiRoutes()
    routes.add("ivr", handler)
    server = FastAgiServer(
        FastAgiSettings(
            port=0, header_timeout=1.0, command_timeout=1.0, max_line_bytes=4096, shutdown_grace=0
        ),
        routes,
    )
    async with server, asyncio.timeout(BOUND):
        await exchange(server.bound_port)
        # Whatever came before, a good call is still served.
        served = await good_call(server.bound_port)
        assert served == b"SET VARIABLE HOTLINE_FUZZ ok\n"


async def good_call(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(HEADER.replace(b"agi_network_script: ivr", b"agi_network_script: ivr?good"))
    line = await reader.readline()
    writer.write(b"200 result=1\n")
    await writer.drain()
    with contextlib.suppress(ConnectionError):
        await reader.read()
    writer.close()
    return line


async def fuzzed_handler_or_good(call: AgiCall, commands: Handler) -> None:
    if call.env.network_script == "ivr?good":
        await call.set_variable("HOTLINE_FUZZ", "ok")
        return
    await commands(call)


async def send_and_drain(port: int, data: bytes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    with contextlib.suppress(ConnectionError):
        writer.write(data)
        await writer.drain()
        writer.write_eof()
        while await reader.read(65536):  # answers the handler's commands with EOF
            pass
    writer.close()


@FUZZ
@given(mutated(HEADER))
def test_server_survives_mutated_headers(header: bytes) -> None:
    async def handler(call: AgiCall) -> None:
        await fuzzed_handler_or_good(call, lambda c: c.answer())

    asyncio.run(with_server(handler, lambda port: send_and_drain(port, header)))


@FUZZ
@given(st.lists(any_reply, min_size=1, max_size=4))
def test_handler_sees_only_agi_errors_on_mutated_replies(replies: list[bytes]) -> None:
    seen: list[BaseException] = []

    async def commands(call: AgiCall) -> None:
        try:
            await call.stream_file("hello", "123")
            await call.get_data("menu", 1.0, 1)
            await call.get_variable("HOTLINE_STATUS")
            await call.set_variable("HOTLINE_STATUS", "DONE")
        except Exception as exc:
            seen.append(exc)
            raise

    async def handler(call: AgiCall) -> None:
        await fuzzed_handler_or_good(call, commands)

    async def exchange(port: int) -> None:
        # The replies pipelined and then EOF: no wait for a command line that never comes.
        await send_and_drain(port, HEADER + b"".join(replies))

    asyncio.run(with_server(handler, exchange))
    assert all(isinstance(exc, agi.AgiError) for exc in seen), seen
