"""FastAGI at the floor (issue 19 item 2): the cheaper per-session and per-command paths do
exactly what the old ones did.

* The AGI header after its first line is read in one bounded ``readuntil``: it gives the same
  environment (or the same refusal) as the old line-by-line read over generated headers,
  copes with a header split over many TCP segments, and still refuses an oversized header
  by closing that connection, never the server.
* ``AgiReply`` is a NamedTuple: ``parse_reply`` answers as the old dataclass parser did.
* The text log formatter keeps the time text per second and one filter does both jobs: the
  lines are those of the stdlib formatter, masked the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.core import logs
from hotline.core.logs import TEXT_FORMAT, MaskingTextFormatter, call_uniqueid, mask_numbers
from hotline.protocol import agi
from hotline.protocol.agi import AgiEnvironment, AgiReply, parse_header_block, parse_reply
from hotline.settings import FastAgiSettings
from hotline.transport.agi_deadline import ReadDeadline
from hotline.transport.fastagi import AgiCall, AgiRoutes, FastAgiServer
from tests.fakes.agi_client import asterisk_header
from tests.fuzz import fuzz

FUZZ = fuzz(200)
BOUND = 10.0  # ceiling for any single wait
HEADER = ("\n".join(asterisk_header(calleridname="Иван Петров")) + "\n\n").encode()
INSERTS = [b"\x00", b"\r", b"\n", b"\n\n", b"\r\n", b"\xff", b" ", b":", b"agi_x: 1\n"]


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "cut", "long"]))
        if kind == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(INSERTS))
        elif kind == "cut":
            del data[at:]
        elif kind == "long":  # past the line limit, the header limit, or both
            data[at:at] = b"y" * draw(st.sampled_from([300, 900, 2500]))
        elif at < len(data):
            del data[at]
    return bytes(data)


# --- The header read ----------------------------------------------------------------------


class _Writer:
    """What the header read uses of a StreamWriter: the peer's address for its log line."""

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 40000) if name == "peername" else None


class _CountingReader(asyncio.StreamReader):
    """Counts reads; ``readline`` is counted by the ``readuntil`` it calls."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit=limit)
        self.reads = 0

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        self.reads += 1
        return await super().readuntil(separator)

    async def read(self, n: int = -1) -> bytes:
        self.reads += 1
        return await super().read(n)


async def _old_read_header(
    reader: asyncio.StreamReader, limits: FastAgiSettings
) -> AgiEnvironment | None:
    """The header read before issue 19 item 2: line by line up to the blank line."""
    lines: list[bytes] = []
    size = 0
    try:
        while True:
            raw = await reader.readline()
            size += len(raw)
            if size > limits.max_header_bytes:
                return None
            if raw.startswith(b"agi_") and raw.endswith(b"\n"):
                lines.append(raw)
                continue
            if raw in (b"\n", b"\r\n"):
                break
            return None
    except (ValueError, ConnectionError):
        return None
    try:
        return parse_header_block(b"".join(lines).decode(errors="replace"))
    except agi.AgiProtocolError:
        return None


def _fed(data: bytes, limit: int) -> _CountingReader:
    reader = _CountingReader(limit)
    reader.feed_data(data)
    reader.feed_eof()  # the old read refused garbage at once; the new one may read to EOF
    return reader


def _server(**limits: Any) -> FastAgiServer:
    return FastAgiServer(FastAgiSettings(port=0, header_timeout=BOUND, **limits), AgiRoutes())


async def _new_read_header(server: FastAgiServer, reader: asyncio.StreamReader) -> Any:
    deadline = ReadDeadline(reader)  # the session's read deadline, as _on_connect makes it
    try:
        return await server._read_header(reader, _Writer(), deadline)  # type: ignore[arg-type]
    finally:
        deadline.release()


def test_the_header_takes_three_reads_not_one_per_line() -> None:
    async def main() -> None:
        server = _server()
        reader = _fed(HEADER, 65_536)
        env = await _new_read_header(server, reader)
        assert env == parse_header_block(HEADER.decode()[:-1])
        assert reader.reads == 3  # the old read took 23: one per line and the blank one

    asyncio.run(main())


@FUZZ
@given(mutated(HEADER), st.sampled_from([(1024, 4096), (65_536, 16_384), (512, 8192)]))
def test_header_read_agrees_with_the_line_by_line_read(
    data: bytes, limits: tuple[int, int]
) -> None:
    line_limit, header_limit = limits

    async def main() -> None:
        server = _server(max_line_bytes=line_limit, max_header_bytes=header_limit)
        settings_ = server._settings
        old = await _old_read_header(_fed(data, line_limit), settings_)
        new = await _new_read_header(server, _fed(data, line_limit))
        assert new == old

    asyncio.run(main())


@contextlib.asynccontextmanager
async def _serving(**limits: Any) -> AsyncIterator[tuple[FastAgiServer, list[AgiCall]]]:
    calls: list[AgiCall] = []

    async def handler(call: AgiCall) -> None:
        calls.append(call)
        await call.set_variable("HOTLINE_STATUS", "DONE")

    routes = AgiRoutes()
    routes.add("ivr", handler)
    settings_ = FastAgiSettings(port=0, header_timeout=BOUND, command_timeout=BOUND, **limits)
    async with FastAgiServer(settings_, routes) as server:
        yield server, calls


async def _session(port: int, chunks: list[bytes]) -> bytes:
    """Send the header in these pieces, one TCP write each, then answer one command; the
    command, or b"" if the server closed the connection instead."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    command = b""
    try:
        # A refused peer may see its writes reset: the server closed the connection.
        async with asyncio.timeout(BOUND):
            with contextlib.suppress(ConnectionError):
                for chunk in chunks:
                    writer.write(chunk)
                    await writer.drain()
                    await asyncio.sleep(0)  # let the server read what has come so far
                command = await reader.readline()
                if command:
                    writer.write(b"200 result=1\n")
                while await reader.read(65536):
                    pass
    finally:
        writer.close()
    return command


def _split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted(set(cuts)), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds) if b > a]


IVR = ("\n".join(asterisk_header(route="ivr")) + "\n\n").encode()
FIRST_END = IVR.index(b"\n") + 1


@pytest.mark.parametrize(
    "cuts",
    [
        pytest.param(list(range(1, len(IVR))), id="every-byte"),
        pytest.param([FIRST_END], id="after-the-first-line"),
        pytest.param([FIRST_END, FIRST_END + 1], id="the-next-byte-alone"),
        pytest.param([len(IVR) - 1], id="between-the-two-newlines"),
        pytest.param(list(range(7, len(IVR), 13)), id="every-13-bytes"),
    ],
)
async def test_header_split_over_many_segments(cuts: list[int]) -> None:
    async with _serving() as (server, calls):
        command = await _session(server.bound_port, _split_at(IVR, cuts))
    assert command == b"SET VARIABLE HOTLINE_STATUS DONE\n"
    assert [call.env for call in calls] == [parse_header_block(IVR.decode()[:-1])]


async def test_one_line_and_crlf_headers_still_parse() -> None:
    one_line = b"agi_uniqueid: 1.2\n\n"  # no channel: refused by the parser, not by the read
    crlf = IVR.replace(b"\n", b"\r\n")
    async with _serving() as (server, calls):
        assert await _session(server.bound_port, [one_line]) == b""
        assert await _session(server.bound_port, [crlf]) == b"SET VARIABLE HOTLINE_STATUS DONE\n"
    assert [call.env.uniqueid for call in calls] == ["1700000000.1"]


@pytest.mark.parametrize("garbled", [b"agi\x05callerid", b"agi_call\xffrid", b"callerid"])
async def test_a_garbled_line_inside_the_header_is_logged_masked(
    garbled: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    # Read line by line, such a line was refused on its own and logged masked; now the block
    # parser names it, and it must be masked all the same.
    header = IVR.replace(b"agi_callerid", garbled)
    assert b"79131234567" in header
    async with _serving() as (server, calls):
        with caplog.at_level(logging.WARNING, logger="hotline.transport.fastagi"):
            assert await _session(server.bound_port, [header]) == b""
    assert calls == []
    assert "dropping FastAGI connection" in caplog.text
    assert "79131234567" not in caplog.text
    assert "791******67" in caplog.text


@pytest.mark.parametrize(
    ("count", "with_blank_line"),
    # The defaults: a 64 KiB stream limit above a 16 KiB header limit.  200 lines fit in the
    # block read and are refused after it; 700 overrun it and are refused line by line.
    [(200, True), (700, True), (700, False)],
)
async def test_oversized_header_closes_that_connection_not_the_server(
    count: int, with_blank_line: bool, caplog: pytest.LogCaptureFixture
) -> None:
    lines = b"".join(b"agi_arg_%d: %s\n" % (i, b"z" * 100) for i in range(1, count))
    big = IVR[:FIRST_END] + lines + (b"\n" if with_blank_line else b"")
    assert len(big) > 16_384
    async with _serving() as (server, calls):
        with caplog.at_level(logging.WARNING, logger="hotline.transport.fastagi"):
            assert await _session(server.bound_port, [big]) == b""
        assert await _session(server.bound_port, [IVR]) == b"SET VARIABLE HOTLINE_STATUS DONE\n"
    assert len(calls) == 1
    assert "AGI header over 16384 bytes" in caplog.text


# --- The reply parser ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _OldReply:
    code: int
    result: str
    data: str | None
    extras: Mapping[str, str]


def _old_parse_reply(line: str) -> _OldReply:
    """parse_reply before issue 19 item 2 (building the frozen dataclass)."""
    if line.startswith("200 result="):
        result, space, tail = line[11:].rstrip("\r\n").partition(" ")
        if not space:
            return _OldReply(200, result, None, MappingProxyType({}))
        if tail.startswith("(") and tail.endswith(")"):
            return _OldReply(200, result, tail[1:-1], MappingProxyType({}))
        data = None
        if tail.startswith("("):
            close = tail.rfind(")")
            if close < 0:
                raise agi.AgiProtocolError(f"unbalanced parenthesis in AGI reply {line[:80]!r}")
            data, tail = tail[1:close], tail[close + 1 :]
            if not tail:
                return _OldReply(200, result, data, MappingProxyType({}))
        extras = {}
        for token in tail.split():
            key, sep, value = token.partition("=")
            if not sep or not key:
                raise agi.AgiProtocolError(
                    f"unexpected token {token!r} in AGI reply {line[:80]!r}"
                )
            extras[key] = value
        return _OldReply(200, result, data, MappingProxyType(extras))
    line = line.rstrip("\r\n")
    code = line[:3]
    if code == "510":
        raise agi.AgiInvalidCommand(line)
    if code == "511":
        raise agi.AgiDeadChannel(line)
    if code == "520":
        raise agi.AgiUsageError(line, line[4:] if line[3:4] == "-" else "")
    if line == agi.AGI_HANGUP_LINE:
        raise agi.AgiHangup("the caller hung up")
    raise agi.AgiProtocolError(f"unexpected AGI reply {line[:80]!r}")


_token = st.text(alphabet="0123456789-=()abdemnoptsu #\r", max_size=12)
replies = st.one_of(
    st.builds(
        lambda result, rest, end: f"200 result={result}{rest}{end}",
        st.sampled_from(["1", "0", "-1", "", "49", "4271"]),
        st.one_of(
            st.just(""),
            st.builds(lambda t: f" {t}", _token),
            st.builds(lambda d, t: f" ({d}){t}", _token, _token),
        ),
        st.sampled_from(["\n", "", "\r\n", " \n"]),
    ),
    st.builds(lambda c, t: f"{c}{t}\n", st.sampled_from(["510", "511", "520", "520-"]), _token),
    st.sampled_from(["HANGUP\n", "HANGUP", "", "\n", "200 result\n"]),
    st.text(max_size=30),
)


def _outcome(parse: Any, line: str) -> tuple[Any, ...]:
    try:
        reply = parse(line)
    except agi.AgiError as exc:
        return type(exc), str(exc), getattr(exc, "usage", None)
    return reply.code, reply.result, reply.data, dict(reply.extras), type(reply.extras)


@FUZZ
@given(replies)
def test_reply_parser_matches_the_old_one(line: str) -> None:
    assert _outcome(parse_reply, line) == _outcome(_old_parse_reply, line)


def test_a_reply_is_an_immutable_tuple() -> None:
    reply = parse_reply("200 result=35 (dtmf) endpos=1234\n")
    assert isinstance(reply, tuple)  # built per command: a tuple is the cheapest record
    assert reply == AgiReply(200, "35", "dtmf", {"endpos": "1234"})
    with pytest.raises(AttributeError):
        reply.result = "0"  # type: ignore[misc]
    with pytest.raises(TypeError):
        reply.extras["endpos"] = "0"  # type: ignore[index]


# --- The log line -------------------------------------------------------------------------

PHONE = "79131234567"


class _StdlibMasking(logging.Formatter):
    """The old MaskingTextFormatter: the stdlib's per-record time text, message masked."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = mask_numbers(record.message)
        return super().formatMessage(record)


def _record(created: float, message: str, *args: object) -> logging.LogRecord:
    record = logging.LogRecord("hotline.x", logging.INFO, "", 0, message, args, None)
    record.created = created
    record.msecs = int((created - int(created)) * 1000) + 0.0
    record.uniqueid = "1700000000.123"
    return record


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=1.7e9, max_value=1.7e9 + 5, allow_nan=False),
            st.text(alphabet="0123456789+ abc:%", max_size=30),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_text_lines_are_the_stdlib_lines_masked(records: list[tuple[float, str]]) -> None:
    # One formatter across the records: its per-second time text must follow the clock,
    # including backwards (records from other threads can arrive out of order).
    ours, stdlib = MaskingTextFormatter(TEXT_FORMAT), _StdlibMasking(TEXT_FORMAT)
    for created, text in records:
        message = text.replace("%", "%%") + " caller %s"
        line = ours.format(_record(created, message, PHONE))
        assert line == stdlib.format(_record(created, message, PHONE))
        assert PHONE not in line


def test_one_filter_stamps_the_uniqueid_and_strips_access_log_queries() -> None:
    record_filter = logs._RecordFilter()
    token = call_uniqueid.set("1700000000.7")
    try:
        record = logging.LogRecord("hotline.x", logging.INFO, "", 0, "x", (), None)
        assert record_filter.filter(record)
        assert record.uniqueid == "1700000000.7"
    finally:
        call_uniqueid.reset(token)
    access = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4:5", "GET", f"/recordings?caller={PHONE}", "1.1", 200),
        None,
    )
    assert record_filter.filter(access)
    assert PHONE not in access.getMessage()
    assert "/recordings?…" in access.getMessage()
