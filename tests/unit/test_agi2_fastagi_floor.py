"""FastAGI at the floor, third pass (issue 19 item 2): the cheaper paths keep every bound.

* One read deadline per session (``agi_deadline.ReadDeadline``): one timer for the header and
  every reply, where there were two; a reply still times out when the command runs in
  another task than the session's, a reply that comes in the pass its deadline fires is
  still a timeout, and a cancellation is still a cancellation.
* The memo of command lines and replies (``agi_memo``) answers exactly what encoding and
  parsing afresh answer, keeps nothing with four digits in a row, and stays bounded.
* ``CallRecord`` makes the stdlib's records, with the call's uniqueid stamped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import generate_latest

from hotline.core import logs
from hotline.core.logs import CallRecord, call_uniqueid, configure_logging
from hotline.core.metrics import REGISTRY
from hotline.protocol import agi_memo
from hotline.protocol.agi import (
    AgiError,
    AgiTimeout,
    encode_arguments,
    parse_environment,
    parse_reply,
)
from hotline.settings import FastAgiSettings, LogSettings
from hotline.transport.agi_deadline import ReadDeadline
from hotline.transport.fastagi import AgiCall, AgiRoutes, FastAgiServer
from tests.fakes.agi_client import asterisk_header
from tests.fuzz import fuzz

FUZZ = fuzz(200)
BOUND = 10.0  # ceiling for any single wait
HEADER = ("\n".join(asterisk_header(route="ivr")) + "\n\n").encode()


# --- The read deadline ----------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _serving(
    handler: Callable[[AgiCall], Any], **options: Any
) -> AsyncIterator[FastAgiServer]:
    routes = AgiRoutes()
    routes.add("ivr", handler)
    options.setdefault("command_timeout", BOUND)
    async with FastAgiServer(
        FastAgiSettings(port=0, header_timeout=BOUND, **options), routes
    ) as server:
        yield server


async def _asterisk(port: int, replies: int) -> list[bytes]:
    """Send the header, answer ``replies`` commands, then read until the server closes;
    the command lines received."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    commands: list[bytes] = []
    try:
        writer.write(HEADER)
        while line := await reader.readline():
            commands.append(line)
            if len(commands) <= replies:
                writer.write(b"200 result=1\n")
    finally:
        writer.close()
    return commands


async def _until_idle(server: FastAgiServer) -> None:
    while server.active_sessions:
        await asyncio.sleep(0.01)


async def test_a_session_arms_one_timer_for_its_header_and_replies() -> None:
    async def three_commands(call: AgiCall) -> None:
        for name in ("A", "B", "C"):
            await call.get_variable(name)

    loop = asyncio.get_running_loop()
    real_call_at = loop.call_at
    by_server: list[object] = []
    client: asyncio.Task[Any] | None = None

    def counting(when: float, callback: Any, *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
        task = asyncio.current_task(loop)
        if task is not None and task is not client and task is not main:
            by_server.append(callback)  # armed by the session's task
        return real_call_at(when, callback, *args, **kwargs)

    main = asyncio.current_task()
    async with _serving(three_commands) as server:
        loop.call_at = counting  # type: ignore[method-assign]
        try:
            async with asyncio.timeout(BOUND):
                client = asyncio.create_task(_asterisk(server.bound_port, 3))
                commands = await client
                await _until_idle(server)
        finally:
            del loop.call_at
    assert len(commands) == 3
    # Before: one for the header's asyncio.timeout() and one for the replies.
    assert len(by_server) == 1


async def test_sessions_are_counted_by_route_and_outcome() -> None:
    async def one_command(call: AgiCall) -> None:
        await call.get_variable("A")

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    done = {"route": "ivr", "outcome": "done"}
    before = sample("hotline_fastagi_sessions_total", **done)
    async with _serving(one_command) as server:
        async with asyncio.timeout(BOUND):
            await _asterisk(server.bound_port, 1)
            await _until_idle(server)
        assert sample("hotline_fastagi_sessions_total", **done) == before + 1
        assert sample("hotline_fastagi_active_sessions", route="ivr") == 0
        text = generate_latest(REGISTRY).decode()
    assert "# TYPE hotline_fastagi_sessions_total counter" in text
    assert "# TYPE hotline_fastagi_active_sessions gauge" in text


async def test_a_reply_read_in_another_task_still_times_out() -> None:
    outcomes: list[str] = []

    async def in_a_subtask(call: AgiCall) -> None:
        try:  # gather() runs the command in a task of its own, not the session's
            await asyncio.gather(call.get_variable("X"))
        except AgiTimeout:
            outcomes.append("timeout")
            raise

    async with _serving(in_a_subtask, command_timeout=0.2) as server:
        async with asyncio.timeout(BOUND):
            commands = await _asterisk(server.bound_port, 0)  # never answers
            await _until_idle(server)
    assert commands == [b"GET VARIABLE X\n"]  # and the server closed the session
    assert outcomes == ["timeout"]


async def test_a_header_that_never_ends_is_dropped() -> None:
    async def unused(call: AgiCall) -> None:
        raise AssertionError("no call may start")

    routes = AgiRoutes()
    routes.add("ivr", unused)
    settings_ = FastAgiSettings(port=0, header_timeout=0.2, command_timeout=BOUND)
    async with FastAgiServer(settings_, routes) as server:
        async with asyncio.timeout(BOUND):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.bound_port)
            writer.write(HEADER[: HEADER.index(b"\n") + 1])  # the first line, then silence
            assert await reader.read() == b""  # closed by the server
            writer.close()
            await _until_idle(server)


class _Writer:
    def __init__(self, on_write: Callable[[], None] = lambda: None) -> None:
        self.data = b""
        self._on_write = on_write

    def write(self, data: bytes) -> None:
        self.data += data
        self._on_write()


def _call(reader: asyncio.StreamReader, writer: _Writer, deadline: ReadDeadline) -> AgiCall:
    env = parse_environment(asterisk_header())
    return AgiCall(
        env, reader, cast(asyncio.StreamWriter, writer), command_timeout=BOUND, deadline=deadline
    )


async def test_a_reply_in_the_pass_its_deadline_fires_is_a_timeout() -> None:
    reader = asyncio.StreamReader()
    deadline = ReadDeadline(reader)

    def reply_and_deadline_together() -> None:
        def both() -> None:
            reader.feed_data(b"200 result=1\n")  # wakes the read...
            deadline._fire()  # ...and the deadline passes before the read resumes

        asyncio.get_running_loop().call_soon(both)

    call = _call(reader, _Writer(reply_and_deadline_together), deadline)
    try:
        with pytest.raises(AgiTimeout):
            await call.set_variable("X", "1")
        with pytest.raises(AgiError, match="unusable"):  # the session is not trusted again
            await call.set_variable("Y", "1")
    finally:
        deadline.release()


async def test_a_cancelled_read_is_cancelled_not_timed_out() -> None:
    reader = asyncio.StreamReader()
    deadline = ReadDeadline(reader)
    call = _call(reader, _Writer(), deadline)
    task = asyncio.create_task(call.get_variable("X"))
    await asyncio.sleep(0)  # the command is sent and its reply awaited
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not deadline.reading and not deadline.expired
    deadline.release()


# --- The memo -----------------------------------------------------------------------------

args_text = st.text(alphabet='abc019 ()#"\\-_./%', max_size=12)


@pytest.fixture
def fresh_memo() -> Iterator[None]:
    agi_memo._lines.clear()
    agi_memo._replies.clear()
    yield
    agi_memo._lines.clear()
    agi_memo._replies.clear()


@FUZZ
@given(
    st.sampled_from(["GET VARIABLE", "STREAM FILE", "GET DATA"]),
    st.lists(st.one_of(args_text, st.integers(0, 99_999)), min_size=1, max_size=3),
)
def test_a_kept_line_is_the_line_encoded_afresh(verb: str, args: list[str | int]) -> None:
    key = (verb, *args)
    try:
        expected = encode_arguments(verb, tuple(args))
    except ValueError:
        with pytest.raises(ValueError):
            agi_memo.encode_kept(key)
        assert agi_memo.known_line(key) is None
        return
    first = agi_memo.known_line(key) or agi_memo.encode_kept(key)
    again = agi_memo.known_line(key) or agi_memo.encode_kept(key)
    assert first == again == expected
    kept = agi_memo.known_line(key)
    if any(isinstance(a, str) and _four_digits(a) for a in args):
        assert kept is None
    else:
        assert kept == expected


def _four_digits(text: str) -> bool:
    run = 0
    for char in text:
        run = run + 1 if char.isdigit() else 0
        if run >= 4:
            return True
    return False


replies = st.one_of(
    st.builds(
        lambda result, data, extras: f"200 result={result}{data}{extras}\n",
        st.sampled_from(["0", "1", "-1", "35", "49", "1234", "79131234567"]),
        st.sampled_from(["", " (timeout)", " (value)", " (a(b)c)", " (2026)"]),
        st.sampled_from(["", " endpos=8000", " endpos=12", " x"]),
    ),
    st.sampled_from(["510 Invalid\n", "511 dead\n", "520 usage\n", "HANGUP\n", "junk\n"]),
)


def _outcome(parse: Callable[[], Any]) -> tuple[Any, ...]:
    try:
        reply = parse()
    except AgiError as exc:
        return type(exc), str(exc)
    return (*reply[:3], dict(reply.extras))


@FUZZ
@given(replies)
def test_a_kept_reply_is_the_reply_parsed_afresh(line: str) -> None:
    raw = line.encode()
    expected = _outcome(lambda: parse_reply(line))
    assert _outcome(lambda: agi_memo.parse_kept(raw, line)) == expected
    kept = agi_memo.known_reply(raw)
    if kept is not None:
        assert _outcome(lambda: kept) == expected
        assert not _four_digits(line)
    if isinstance(expected[0], type):  # an error: never kept
        assert kept is None
    if _four_digits(line):
        assert kept is None


def test_the_memo_is_bounded(fresh_memo: None) -> None:
    for n in range(agi_memo.MEMO_SIZE * 3):
        name = "VAR_" + "".join("abcdefghij"[int(d)] for d in str(n))
        agi_memo.encode_kept(("GET VARIABLE", name))
        agi_memo.parse_kept(f"200 result=1 ({name})\n".encode(), f"200 result=1 ({name})\n")
    assert 0 < len(agi_memo._lines) <= agi_memo.MEMO_SIZE
    assert 0 < len(agi_memo._replies) <= agi_memo.MEMO_SIZE


async def test_a_call_keeps_no_digits_a_caller_typed(fresh_memo: None) -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(b"200 result=79131234567\n200 result=1 (79131234567)\n")
    deadline = ReadDeadline(reader)
    call = _call(reader, _Writer(), deadline)
    try:
        digits = await call.get_data("enter-account", 5.0, 11)
        value = await call.get_variable("CALLERID(num)")
    finally:
        deadline.release()
    assert (digits.digits, value) == ("79131234567", "79131234567")
    assert not [raw for raw in agi_memo._replies if b"7913" in raw]


# --- The log record -----------------------------------------------------------------------

_VARYING = {"created", "msecs", "relativeCreated", "uniqueid"}


@pytest.fixture
def lean_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings configure_logging makes, undone afterwards."""
    monkeypatch.setattr(logging, "logThreads", False)
    monkeypatch.setattr(logging, "logProcesses", False)
    monkeypatch.setattr(logging, "logMultiprocessing", False)


@pytest.mark.parametrize(
    ("name", "level", "msg", "args", "exc"),
    [
        (
            "hotline.transport.fastagi",
            logging.INFO,
            "call end: %s after %.3f s",
            ("done", 1.5),
            False,
        ),
        ("ivr", logging.WARNING, "no args", (), False),
        ("ivr", logging.ERROR, "failed %(x)s", ({"x": 1},), True),
        ("ivr", 25, "custom level %d", (7,), False),
        (
            "uvicorn.access",
            logging.INFO,
            "%s %s %s",
            ("1.2.3.4", "GET", "/a?b=79131234567"),
            False,
        ),
    ],
)
def test_a_call_record_is_the_stdlib_record(
    lean_logging: None, name: str, level: int, msg: str, args: tuple[Any, ...], exc: bool
) -> None:
    exc_info = (ValueError, ValueError("x"), None) if exc else None
    source = "(unknown file)"  # what a logger passes once findCaller is off
    token = call_uniqueid.set("1700000000.9")
    try:
        ours = CallRecord(name, level, source, 0, msg, args, exc_info, "(unknown function)")
    finally:
        call_uniqueid.reset(token)
    stdlib = logging.LogRecord(name, level, source, 0, msg, args, exc_info, "(unknown function)")
    if name == "uvicorn.access":
        logs._strip_query(stdlib)
    assert ours.uniqueid == "1700000000.9"
    assert {k: v for k, v in vars(ours).items() if k not in _VARYING} == {
        k: v for k, v in vars(stdlib).items() if k not in _VARYING
    }
    assert ours.getMessage() == stdlib.getMessage()
    assert "79131234567" not in ours.getMessage() or name != "uvicorn.access"


def test_configured_lines_carry_the_uniqueid_masked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    factory = logging.getLogRecordFactory()
    try:
        configure_logging(LogSettings(level="INFO"))
        assert logging.getLogRecordFactory() is CallRecord
        token = call_uniqueid.set("1700000000.5")
        try:
            logging.getLogger("hotline.x").info("call start: caller=%s", "79131234567")
        finally:
            call_uniqueid.reset(token)
        logging.getLogger("hotline.x").warning("outside a call")
        # A record made elsewhere (not by the factory) still gets the uniqueid field.
        root.handle(logging.makeLogRecord({"name": "hotline.y", "msg": "made", "levelno": 20}))
    finally:
        root.handlers[:], root.level = handlers, level
        logging.setLogRecordFactory(factory)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    assert "[1700000000.5] call start: caller=791******67" in lines[0]
    assert "79131234567" not in lines[0]
    assert "hotline.x [-] outside a call" in lines[1]
    assert "hotline.y [-] made" in lines[2]
    assert sys.stderr is not None
