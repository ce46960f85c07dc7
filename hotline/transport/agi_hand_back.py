"""The last commands of a FastAGI session, sent without waiting for their replies.

A session that ends by handing the channel back to the dialplan (the IVR's hand-over to the
menu's levels) used to send its last commands one at a time, each reply read before the next
was sent, then close.  Under a burst every reply waits for the engine's next turn: between the
recording notice and the menu that was three turns, up to 0.3 s each at 288 callers (issue 19
item 1, measured from AMI timestamps).  AGI is lock-step on Asterisk's side too: it reads a
command, runs it, writes the reply and reads the next.  So the commands go in one write
followed by the end of the stream (``write_eof``, a half-close); Asterisk runs each command it
has read, then reads the end and its ``AGI()`` returns, without waiting for the engine.

The replies are read afterwards (:meth:`HandedBack.replies`), so the session knows which of
the commands ran (a command on a channel that hung up meanwhile gets ``511``) and closes a
socket with nothing left unread (closing with unread bytes sends a reset).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Final

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


def hand_back_lines(values: Mapping[str, str], before: Sequence[tuple[str, str]] = ()) -> bytes:
    """The command lines: ``before`` (each application and its data, by ``EXEC``), then the
    variables as ``AgiCall.set_variables`` sets them (the plain ones in one ``MSet``, one
    ``SET VARIABLE`` for each other)."""
    lines = [encode_arguments("EXEC", (app, data)) for app, data in before]
    data, others = mset_split(values)
    if data is not None:
        lines.append(encode_arguments("EXEC", (MSET_APP, data)))
    lines += [encode_arguments("SET VARIABLE", (name, value)) for name, value in others.items()]
    return b"".join(lines)


class HandedBack:
    """The replies to the commands of a hand-back, read once, in order."""

    def __init__(self, reader: asyncio.StreamReader, commands: int, timeout: float) -> None:
        self._reader = reader
        self._commands = commands
        self._timeout = timeout
        self._read: asyncio.Task[list[bytes]] | None = None

    def replies(self) -> asyncio.Task[list[bytes]]:
        """The reply lines (fewer when the stream ended or the time ran out first), read to
        the end of the stream; every caller awaits the same read."""
        if self._read is None:
            self._read = asyncio.ensure_future(self._read_replies())
        return self._read

    async def _read_replies(self) -> list[bytes]:
        replies: list[bytes] = []
        with contextlib.suppress(TimeoutError, OSError, ValueError, asyncio.IncompleteReadError):
            async with asyncio.timeout(self._timeout):
                while line := await self._reader.readline():
                    if line != _HANGUP and len(replies) < self._commands:
                        replies.append(line)
        return replies


def ran(reply: bytes) -> bool:
    """Whether a reply says the command ran: a ``200`` reply whose result is not negative
    (``511`` on a channel that hung up, garbage: it did not)."""
    try:
        parsed = parse_reply(reply.decode("utf-8", "replace"))
        return reply_number(parsed.result, parsed) >= 0
    except AgiError:
        return False
