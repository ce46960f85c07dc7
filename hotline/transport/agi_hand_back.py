"""Commands of a FastAGI session sent without waiting for their replies.

AGI is lock-step on Asterisk's side: it reads a command, runs it, writes the reply and reads
the next.  A command the engine writes early simply waits in the socket until the one before
it is done, so where the engine already knows what comes next, it need not take a turn of its
loop between the two (issue 19 item 1: under a burst of callers each turn was up to 0.3 s of
silence, measured from AMI timestamps):

- **Ahead** (``AgiCall.send_ahead``): the greeting and the recording notice, as one ``EXEC
  Playback``, written when the session starts.  Playback does not read the AGI socket while it
  plays (``STREAM FILE`` stops at the next command line), so what the engine writes meanwhile
  runs when the notice ends.  Only what one line can carry, or a batch that ends the stream:
  Asterisk reads the socket through a stdio buffer and waits for it to be readable, so a
  second line that arrived with the first waits in that buffer until more bytes come.
- **The hand-back** (``AgiCall.hand_back``): the last commands (MixMonitor, one MSet), then the
  end of the stream (``write_eof``, a half-close); Asterisk runs each command it has read, then
  reads the end and its ``AGI()`` returns, without waiting for the engine.

The replies are read afterwards (:meth:`Owed.replies`), so the session knows which of the
commands ran (:func:`ran`) and closes a socket with nothing left unread (closing with unread
bytes sends a reset).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Final, NamedTuple, NoReturn

from hotline.protocol.agi import (
    AGI_HANGUP_LINE,
    MSET_APP,
    AgiError,
    encode_arguments,
    mset_split,
    parse_reply,
    reply_number,
)

_HANGUP: Final = (AGI_HANGUP_LINE + "\n").encode()


class Reply(NamedTuple):
    """A reply line owed for a command sent ahead, with the loop time it came (for a prompt
    played ahead, the moment it ended) and whether Asterisk had said ``HANGUP`` before it:
    AGI's ``EXEC`` runs on a channel that hung up (Asterisk 22 answers ``200 result=0``, and
    MixMonitor there writes a file of nothing but its header)."""

    line: bytes
    at: float
    dead: bool


def exec_lines(applications: Sequence[tuple[str, str]]) -> bytes:
    """``EXEC`` of each application with its data."""
    return b"".join(encode_arguments("EXEC", (app, data)) for app, data in applications)


def hand_back_lines(values: Mapping[str, str], before: Sequence[tuple[str, str]] = ()) -> bytes:
    """The command lines: ``before`` (each application and its data, by ``EXEC``), then the
    variables as ``AgiCall.set_variables`` sets them (the plain ones in one ``MSet``, one
    ``SET VARIABLE`` for each other)."""
    lines = [exec_lines(before)]
    data, others = mset_split(values)
    if data is not None:
        lines.append(encode_arguments("EXEC", (MSET_APP, data)))
    lines += [encode_arguments("SET VARIABLE", (name, value)) for name, value in others.items()]
    return b"".join(lines)


class Owed:
    """The replies to commands written at once, read once, in order: ``commands`` of them,
    then (``to_end``: a hand-back) on to the end of the stream, so nothing is left unread."""

    def __init__(
        self, reader: asyncio.StreamReader, commands: int, timeout: float, *, to_end: bool
    ) -> None:
        self._reader = reader
        self.commands = commands
        self.timeout = timeout
        self._to_end = to_end
        self._read: asyncio.Task[list[Reply]] | None = None
        self.hung_up = False  # Asterisk said HANGUP
        self.ended = False  # the stream ended

    def replies(self) -> asyncio.Task[list[Reply]]:
        """The replies (fewer when the stream ended or the time ran out first); every caller
        awaits the same read, which starts at the first call."""
        if self._read is None:
            self._read = asyncio.ensure_future(self._read_replies())
        return self._read

    async def _read_replies(self) -> list[Reply]:
        replies: list[Reply] = []
        clock = asyncio.get_running_loop().time
        with contextlib.suppress(TimeoutError, OSError, ValueError, asyncio.IncompleteReadError):
            async with asyncio.timeout(self.timeout):
                while self._to_end or len(replies) < self.commands:
                    line = await self._reader.readline()
                    if not line:
                        self.ended = True
                        break
                    if line == _HANGUP:
                        self.hung_up = True
                    elif len(replies) < self.commands:
                        replies.append(Reply(line, clock(), self.hung_up))
        return replies


class HandedBack(Owed):
    """The replies of a hand-back: those owed for the commands sent ahead of it first
    (``ahead`` of them: ``AgiCall.send_ahead``), then its own."""

    def __init__(
        self, reader: asyncio.StreamReader, commands: int, timeout: float, ahead: int
    ) -> None:
        super().__init__(reader, commands, timeout, to_end=True)
        self.ahead = ahead


class Pipelined:
    """Commands sent ahead and the hand-back, as methods of ``AgiCall``, with the part of its
    state they use (set by ``AgiCall.__init__``)."""

    __slots__ = (
        "_ahead",
        "_broken",
        "_hung_up",
        "_in_flight",
        "_reader",
        "_send",
        "_timeout",
        "_writer",
        "handed_back",
    )
    _ahead: Owed | None
    _broken: str | None
    _hung_up: bool
    _in_flight: bool
    _reader: asyncio.StreamReader
    _send: Callable[[bytes], object]
    _timeout: float
    _writer: asyncio.StreamWriter
    handed_back: HandedBack | None

    def _refuse(self, verb: str) -> NoReturn:
        raise NotImplementedError

    async def _hangup_follows(self) -> bool:
        raise NotImplementedError

    def send_ahead(self, applications: Sequence[tuple[str, str]], wait: float) -> None:
        """Run ``applications`` (Playback: nothing that reads the AGI socket as it runs) one
        after the other, replies not waited for (:mod:`agi_hand_back`); they are read by
        :meth:`ahead_replies` before any other command, or with a hand-back.  ``wait``: how
        long they take at most."""
        if self._hung_up or self._broken is not None or self._in_flight:
            self._refuse("EXEC")
        self._send(exec_lines(applications))
        self._in_flight = True
        self._ahead = Owed(self._reader, len(applications), wait + self._timeout, to_end=False)

    async def ahead_replies(self) -> list[Reply]:
        """The replies to the commands sent ahead; then the session takes commands again,
        unless the caller hung up or they did not come in time.  A reply that says its
        command did not run (Playback's ``-1``) comes before Asterisk's ``HANGUP`` line, which
        is looked for then, as for a media command's ``-1``."""
        owed, self._ahead = self._ahead, None
        if owed is None:
            return []
        replies = await owed.replies()
        hung_up = owed.hung_up or owed.ended
        if not hung_up and len(replies) == owed.commands and not all(map(ran, replies)):
            hung_up = await self._hangup_follows()
        if hung_up:
            self._hung_up = True
        elif len(replies) < owed.commands:
            self._broken = "no reply to the commands sent ahead in time"
        self._in_flight = False
        return replies

    def hand_back(
        self, values: Mapping[str, str], *, before: Sequence[tuple[str, str]] = ()
    ) -> HandedBack:
        """Run ``before`` (applications and their data), set ``values`` and hand the channel
        back to the dialplan, after what was sent ahead, replies not waited for: the handler
        may go on with work that needs no channel.  The replies (those of what was sent ahead
        first) are read once (``replies()``; the server reads them before it closes)."""
        ahead, self._ahead = self._ahead, None
        if self._hung_up or self._broken is not None or (self._in_flight and ahead is None):
            self._refuse("hand back")
        # The bound: the command timeout, plus how long what was sent ahead takes (its own
        # bound counts both already).
        owed, timeout = (0, self._timeout) if ahead is None else (ahead.commands, ahead.timeout)
        lines = hand_back_lines(values, before)
        self._broken = "the session was handed back to the dialplan"
        self._send(lines)
        self._writer.write_eof()
        commands = owed + lines.count(b"\n")
        self.handed_back = HandedBack(self._reader, commands, timeout, owed)
        return self.handed_back


def ran(reply: Reply) -> bool:
    """Whether a reply says the command ran on the caller's channel: a ``200`` reply whose
    result is not negative, before any ``HANGUP`` (``511``, garbage, or after the caller
    left: it did not)."""
    if reply.dead:
        return False
    try:
        parsed = parse_reply(reply.line.decode("utf-8", "replace"))
        return reply_number(parsed.result, parsed) >= 0
    except AgiError:
        return False
