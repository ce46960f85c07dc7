"""FastAGI at the floor, fifth pass (issue 19 item 2): the server's own stream (``agi_stream``).

The reply read's fast path hands out a future that ``data_received`` resolves with the chunk;
every other case is split here as ``StreamReader.readuntil`` splits it.  These tests hold the
stream against the stock ``StreamReader`` + ``StreamReaderProtocol`` fed the same chunks:
lines across chunks, several lines in one chunk, a line over the limit, EOF with a partial
line, an error set on the stream, a cancelled read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, SupportsIndex, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.transport.agi_stream import AgiStreamProtocol, AgiStreamReader
from tests.fuzz import fuzz

FUZZ = fuzz(300)
LIMIT = 16


class _Transport(asyncio.Transport):
    """What the protocol and the reader touch of a socket's transport."""

    def __init__(self) -> None:
        super().__init__()
        self.paused = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False

    def is_closing(self) -> bool:
        return False


class _CountingReader(AgiStreamReader):
    """Counts the chunks that went through the buffer (not the fast path)."""

    def __init__(self, limit: int, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit, loop)
        self.buffered = 0

    def feed_data(self, data: Iterable[SupportsIndex]) -> None:
        self.buffered += 1
        super().feed_data(data)


def _stock(limit: int) -> tuple[asyncio.StreamReader, asyncio.StreamReaderProtocol]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit, loop)
    return reader, asyncio.StreamReaderProtocol(reader, loop=loop)


def _ours(limit: int) -> tuple[_CountingReader, AgiStreamProtocol]:
    loop = asyncio.get_running_loop()
    reader = _CountingReader(limit, loop)
    return reader, AgiStreamProtocol(reader, None, loop)


async def _waiting_read() -> tuple[_CountingReader, AgiStreamProtocol, asyncio.Future[bytes]]:
    """Our stream on a connection, with a reply read already waiting for its line."""
    reader, protocol = _ours(LIMIT)
    protocol.connection_made(_Transport())
    read = asyncio.ensure_future(reader.readuntil(b"\n"))
    await asyncio.sleep(0)
    return reader, protocol, read


async def _readlines(reader: asyncio.StreamReader) -> list[object]:
    """readline() to EOF, as the header read does: lines and ValueErrors."""
    seen: list[object] = []
    while True:
        try:
            line = await reader.readline()
        except ConnectionResetError:
            return [*seen, "reset"]
        except ValueError as exc:
            seen.append(("ValueError", str(exc)))
            continue
        seen.append(line)
        if not line.endswith(b"\n"):
            return seen


async def _replies(reader: asyncio.StreamReader) -> list[object]:
    """readuntil(b"\\n") to EOF, as AgiCall reads a reply (an over-long one dropped by
    readline(), as AgiCall._overrun does)."""
    seen: list[object] = []
    while True:
        try:
            seen.append(await reader.readuntil(b"\n"))
        except asyncio.IncompleteReadError as exc:
            seen.append(("partial", exc.partial))
            return seen
        except ConnectionResetError:
            return [*seen, "reset"]
        except asyncio.LimitOverrunError as exc:
            seen.append(("overrun", exc.consumed))
            try:
                seen.append(await reader.readline())
            except ValueError:
                seen.append("dropped")
            except ConnectionResetError:
                return [*seen, "reset"]


async def _feed(make: Any, chunks: list[bytes], how: Any, end: str) -> list[object]:
    """Feed ``chunks`` one per loop pass to a reader reading with ``how``; then EOF or an
    error; what the reader saw."""
    reader, protocol = make(LIMIT)
    protocol.connection_made(_Transport())
    task = asyncio.create_task(how(reader))
    for chunk in chunks:
        await asyncio.sleep(0)  # the reader runs on what came so far
        protocol.data_received(chunk)
    await asyncio.sleep(0)
    if end == "eof":
        protocol.eof_received()
    else:
        protocol.connection_lost(ConnectionResetError("reset"))
    seen: list[object] = await asyncio.wait_for(task, 10)
    return seen


# Pieces of the kind a peer sends: replies, a HANGUP, lines over the limit, bare newlines.
_PIECES = st.sampled_from(
    [
        b"200 result=1\n",
        b"200 result=0 (timeout)\n",
        b"HANGUP\n",
        b"\n",
        b"200 result=1 (" + b"x" * 20 + b")\n",  # over LIMIT
        b"y" * 40,  # over LIMIT, no newline yet
        b"agi_",
    ]
)


@st.composite
def chunked(draw: st.DrawFn) -> list[bytes]:
    """Pieces joined, then cut anywhere: lines across chunks, several in one chunk."""
    data = b"".join(draw(st.lists(_PIECES, max_size=8)))
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=6)))
    chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    return [chunk for chunk in chunks if chunk]


@FUZZ
@given(chunked(), st.sampled_from([_readlines, _replies]), st.sampled_from(["eof", "reset"]))
def test_the_stream_reads_what_the_stock_stream_reads(
    chunks: list[bytes], how: Any, end: str
) -> None:
    async def main() -> None:
        assert await _feed(_ours, chunks, how, end) == await _feed(_stock, chunks, how, end)

    asyncio.run(main())


async def test_a_line_in_one_chunk_skips_the_buffer() -> None:
    reader, protocol = _ours(LIMIT)
    protocol.connection_made(_Transport())
    for reply in (b"200 result=1\n", b"200 result=0\n"):
        read = asyncio.ensure_future(reader.readuntil(b"\n"))
        await asyncio.sleep(0)
        protocol.data_received(reply)
        assert await read == reply
    assert reader.buffered == 0


@pytest.mark.parametrize(
    ("chunks", "lines"),
    [
        ([b"200 res", b"ult=1\n"], [b"200 result=1\n"]),  # a line across chunks
        ([b"200 result=1\nHANGUP\n"], [b"200 result=1\n", b"HANGUP\n"]),  # two in one
        ([b"200 result=1\n2", b"00 result=0\n"], [b"200 result=1\n", b"200 result=0\n"]),
    ],
)
async def test_lines_are_split_as_readuntil_splits_them(
    chunks: list[bytes], lines: list[bytes]
) -> None:
    reader, protocol = _ours(LIMIT)
    protocol.connection_made(_Transport())

    async def read() -> list[bytes]:
        return [await reader.readuntil(b"\n") for _ in lines]

    task = asyncio.create_task(read())
    for chunk in chunks:
        await asyncio.sleep(0)
        protocol.data_received(chunk)
    got = await asyncio.wait_for(task, 10)
    assert got == lines


async def test_a_line_over_the_limit_is_refused_and_dropped_by_readline() -> None:
    reader, protocol, read = await _waiting_read()
    protocol.data_received(b"200 result=1 (" + b"z" * LIMIT + b")\n200 result=0\n")
    with pytest.raises(asyncio.LimitOverrunError):
        await read
    with pytest.raises(ValueError):
        await reader.readline()
    assert await reader.readuntil(b"\n") == b"200 result=0\n"


async def test_eof_inside_a_line_gives_what_came_of_it() -> None:
    reader, protocol, read = await _waiting_read()
    protocol.data_received(b"200 res")
    protocol.eof_received()
    with pytest.raises(asyncio.IncompleteReadError) as caught:
        await read
    assert caught.value.partial == b"200 res"
    assert await reader.readline() == b""


async def test_an_error_set_on_the_stream_fails_the_waiting_read() -> None:
    reader, _protocol, read = await _waiting_read()
    reader.set_exception(TimeoutError("deadline"))
    with pytest.raises(TimeoutError):
        await read


async def test_a_cancelled_read_leaves_the_line_to_the_next() -> None:
    reader, protocol, read = await _waiting_read()
    read.cancel()
    await asyncio.sleep(0)
    protocol.data_received(b"200 result=1\n")
    assert await reader.readuntil(b"\n") == b"200 result=1\n"


async def test_a_second_reader_is_refused_as_the_stock_stream_refuses_it() -> None:
    reader, protocol, read = await _waiting_read()
    with pytest.raises(RuntimeError):
        await reader.readuntil(b"\n")
    with pytest.raises(RuntimeError):
        await reader.read(1)
    protocol.data_received(b"200 result=1\n")
    assert await read == b"200 result=1\n"


# --- The command latency, counted inline in AgiCall._execute ---------------------------------


class _Writer:
    def write(self, data: bytes) -> None:
        pass


async def test_a_command_is_counted_in_the_bucket_observe_puts_it_in() -> None:
    from prometheus_client import generate_latest

    from hotline.core.metrics import REGISTRY, observe_agi_command
    from hotline.protocol.agi import parse_environment
    from hotline.transport.fastagi import AgiCall
    from tests.fakes.agi_client import asterisk_header

    env = parse_environment(asterisk_header(route="ivr"))
    verb, reference = "AGI4 INLINE", "AGI4 OBSERVED"
    latencies = (0.0002, 0.0004, 0.003, 0.3, 2.0, 7.0)  # off the bounds: float sums
    for seconds in latencies:
        reader = asyncio.StreamReader()
        reader.feed_data(b"200 result=1\n")  # read without a pass of the loop
        call = AgiCall(env, reader, cast(asyncio.StreamWriter, _Writer()), command_timeout=10)
        base = asyncio.get_running_loop().time()
        clock = iter((base, base + seconds))  # the send, then the reply
        call._clock = clock.__next__
        await call.command(verb)
        observe_agi_command(reference, seconds)
    samples: dict[str, list[str]] = {verb: [], reference: []}
    sums: dict[str, float] = {}
    for line in generate_latest(REGISTRY).decode().splitlines():
        for name in samples:
            if f'verb="{name}"' in line:
                if line.startswith("hotline_fastagi_command_seconds_sum"):
                    sums[name] = float(line.rsplit(" ", 1)[1])
                else:
                    samples[name].append(line.replace(name, "-"))
    assert samples[verb] and samples[verb] == samples[reference]  # buckets and count
    assert sums[verb] == pytest.approx(sums[reference])  # the clock's sums, rounded
