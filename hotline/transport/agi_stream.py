"""The FastAGI server's stream: asyncio's ``StreamReader`` with one fast path, the reply line.

Per AGI reply, asyncio's streams run ``StreamReaderProtocol.data_received``, ``feed_data``
(the bytes copied into the buffer) and ``_wakeup_waiter`` on one side, and ``readline``,
``readuntil`` and ``_wait_for_data`` (three coroutines, the buffer searched, copied out and
cut) on the other: most of what a session costs (issue 19 item 2).  AGI is lock-step, so a
reply is nearly always awaited with the buffer empty and arrives as one chunk that is exactly
that line.  Then ``readuntil(b"\\n")`` hands out a future, and ``data_received`` resolves it
with the chunk itself: no buffer, no coroutine frame (asyncpg and uvloop's servers read on an
``asyncio.Protocol`` for the same reason).

Everything else is ``StreamReader``'s own code on the same buffer: data already buffered, a
line in pieces or several lines in one chunk (split here as ``readuntil`` would), a line over
the limit, EOF, an error set on the stream, every other read.  So the limits, EOF and errors
behave as with the stock stream, and the header read, usage blocks and tests written against
``StreamReader`` meet the same stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Final, SupportsIndex

__all__ = ["AgiStreamProtocol", "AgiStreamReader", "agi_stream_factory"]

_LF: Final = b"\n"

Session = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class AgiStreamReader(asyncio.StreamReader):
    """A ``StreamReader`` whose line read may be a bare future (see the module's doc)."""

    # StreamReader's own state (typeshed leaves it out), read and written here as it does.
    _buffer: bytearray
    _limit: int
    _eof: bool
    _paused: bool
    _waiter: asyncio.Future[None] | None
    _exception: BaseException | None
    _loop: asyncio.AbstractEventLoop

    def __init__(self, limit: int, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit, loop)
        # The line read waiting on the fast path; resolved by AgiStreamProtocol.data_received,
        # or here by feed_data, feed_eof and set_exception.
        self._line: asyncio.Future[bytes] | None = None

    # Not a coroutine function: the usual read returns the future itself, one frame less per
    # reply.  Every caller awaits it at once (``await reader.readuntil()``), as they must.
    def readuntil(self, separator: bytes = _LF) -> Awaitable[bytes]:  # type: ignore[override]
        if (
            separator == _LF
            and not self._buffer
            and self._waiter is None
            and self._exception is None
            and not self._eof
            and not self._paused
        ):
            line = self._line
            if line is not None and not line.done():
                raise RuntimeError("readuntil() called while another read is waiting for a line")
            self._line = line = self._loop.create_future()
            return line
        return super().readuntil(separator)

    async def _wait_for_data(self, func_name: str) -> None:
        line = self._line
        if line is not None and not line.done():  # as StreamReader refuses a second reader
            raise RuntimeError(f"{func_name}() called while another read is waiting for a line")
        await super()._wait_for_data(func_name)  # type: ignore[misc]

    def feed_data(self, data: Iterable[SupportsIndex]) -> None:
        super().feed_data(data)
        line = self._line
        if line is not None:
            if line.done():  # its reader was cancelled: the bytes stay for the next read
                self._line = None
            else:
                self._split(line)

    def _split(self, line: asyncio.Future[bytes]) -> None:
        """What ``readuntil(b"\\n")`` does with the buffer, for the waiting line read."""
        buffer = self._buffer
        end = buffer.find(_LF)
        if end < 0:
            if len(buffer) > self._limit:  # the bytes stay: readline() drops them
                self._line = None
                line.set_exception(
                    asyncio.LimitOverrunError(
                        "Separator is not found, and chunk exceed the limit", len(buffer)
                    )
                )
            return
        self._line = None
        if end > self._limit:
            line.set_exception(
                asyncio.LimitOverrunError(
                    "Separator is found, but chunk is longer than limit", end
                )
            )
            return
        chunk = bytes(buffer[: end + 1])
        del buffer[: end + 1]
        self._maybe_resume_transport()  # type: ignore[attr-defined]
        line.set_result(chunk)

    def feed_eof(self) -> None:
        super().feed_eof()
        line = self._line
        if line is not None:
            self._line = None
            if not line.done():  # EOF inside the line: what came of it, as readuntil()
                partial = bytes(self._buffer)
                self._buffer.clear()
                line.set_exception(asyncio.IncompleteReadError(partial, None))

    def set_exception(self, exc: BaseException) -> None:
        super().set_exception(exc)  # type: ignore[arg-type]  # typeshed: Exception
        line = self._line
        if line is not None:
            self._line = None
            if not line.done():
                line.set_exception(exc)


class AgiStreamProtocol(asyncio.StreamReaderProtocol):
    """``StreamReaderProtocol`` (EOF, connection loss, write flow control, the session task)
    whose ``data_received`` resolves a waiting line read with the chunk when the chunk is
    exactly one line within the limit."""

    _task: asyncio.Task[None] | None  # StreamReaderProtocol's: the session's task

    def __init__(
        self,
        reader: AgiStreamReader,
        session: Session | None,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        super().__init__(reader, session, loop)
        # Held directly: StreamReaderProtocol reaches its reader through a weak reference,
        # a property call per chunk.
        self._agi_reader = reader

    def data_received(self, data: bytes) -> None:
        reader = self._agi_reader
        line = reader._line
        if line is not None:
            end = len(data) - 1
            if (
                0 <= end <= reader._limit
                and data.find(_LF) == end
                and type(data) is bytes
                and not reader._buffer
                and not line.done()
            ):
                reader._line = None
                line.set_result(data)
                return
        reader.feed_data(data)


def agi_stream_factory(
    session: Session, limit: int, loop: asyncio.AbstractEventLoop
) -> Callable[[], AgiStreamProtocol]:
    """The protocol factory for ``loop.create_server``, as ``asyncio.start_server`` makes
    one: each connection runs ``session(reader, writer)`` in a task of its own."""

    def factory() -> AgiStreamProtocol:
        return AgiStreamProtocol(AgiStreamReader(limit, loop), session, loop)

    return factory
