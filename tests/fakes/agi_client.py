"""A fake Asterisk for FastAGI tests (Wazo's helpers/agid.py, asyncio edition).

It connects like ``AGI(agi://host:port/route)``, sends the ``agi_*`` header Asterisk 22 sends,
splits every command with a port of Asterisk's own ``parse_args()`` and answers it the way
``res/res_agi.c`` would: GET VARIABLE from a dict, SET VARIABLE recorded, GET DATA from a list
of digit strings, a ``HANGUP`` line (then 511s) where a test asks for one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from hotline.dialplan.names import ROUTE_IVR

MAX_ARGS = 128  # res_agi.c


def asterisk_parse_args(line: str) -> list[str]:
    """Port of ``parse_args()`` in Asterisk 22's res/res_agi.c, quirks included.

    Spaces and tabs separate words; ``"`` toggles quoting anywhere in a word (starting a word
    when it comes after whitespace); ``\\`` makes the next character literal; a word beyond
    MAX_ARGS - 1 is dropped.  The C code writes into the line in place, NUL-terminating words
    at whitespace; ``buf`` mirrors that buffer and ``starts`` the ``argv`` pointers.
    """
    buf: list[str] = []
    starts: list[int] = []
    quoted = escaped = False
    whitespace = True
    for ch in line:
        if ch == '"' and not escaped:
            quoted = not quoted
            if quoted and whitespace:
                starts.append(len(buf))  # no MAX_ARGS check on this path in the C code
                whitespace = False
            continue
        if ch in " \t" and not quoted and not escaped:
            whitespace = True
            buf.append("\0")
            continue
        if ch == "\\" and not escaped:
            escaped = True
            continue
        if whitespace:
            if len(starts) >= MAX_ARGS - 1:
                continue  # "Too many arguments, truncating" (escaped is left as it was)
            starts.append(len(buf))
            whitespace = False
        buf.append(ch)
        escaped = False
    buf.append("\0")
    text = "".join(buf)
    return [text[start : text.index("\0", start)] for start in starts]


def asterisk_header(
    *,
    route: str = ROUTE_IVR,
    uniqueid: str = "1700000000.1",
    callerid: str | None = "79131234567",
    calleridname: str | None = None,
    dnid: str | None = "4951234567",
    channel: str = "PJSIP/trunk-00000001",
    arguments: tuple[str, ...] = (),
) -> list[str]:
    """The header lines of Asterisk 22's launch_netscript() + setup_env(), in its order."""
    lines = [
        "agi_network: yes",
        f"agi_network_script: {route}",
        f"agi_request: agi://127.0.0.1:4573/{route}",
        f"agi_channel: {channel}",
        "agi_language: ru",
        "agi_type: PJSIP",
        f"agi_uniqueid: {uniqueid}",
        "agi_version: 22.10.1",
        f"agi_callerid: {callerid or 'unknown'}",
        f"agi_calleridname: {calleridname or 'unknown'}",
        "agi_callingpres: 0",
        "agi_callingani2: 0",
        "agi_callington: 0",
        "agi_callingtns: 0",
        f"agi_dnid: {dnid or 'unknown'}",
        "agi_rdnis: unknown",
        "agi_context: hotline-inbound",
        "agi_extension: 4951234567",
        "agi_priority: 2",
        "agi_enhanced: 0.0",
        "agi_accountcode: ",
        "agi_threadid: 140234567890",
    ]
    lines += [f"agi_arg_{i}: {arg}" for i, arg in enumerate(arguments, 1)]
    return lines


# Prompts that stop without a reply when a new command arrives (ast_waitstream_full et al.).
INTERRUPTIBLE = {"STREAM FILE", "GET DATA", "SAY DIGITS"}
DEAD = "511 Command Not Permitted on a dead channel or intercept routine"
INVALID = "510 Invalid or unknown command"
# Commands res_agi.c still runs on a dead channel (the last column of its command table).
DEAD_ALLOWED = {"SET VARIABLE", "GET VARIABLE", "GET FULL VARIABLE", "EXEC", "VERBOSE", "NOOP"}
VERBS = (
    "ANSWER",
    "EXEC",
    "GET DATA",
    "GET FULL VARIABLE",
    "GET VARIABLE",
    "HANGUP",
    "NOOP",
    "RECORD FILE",
    "SAY DIGITS",
    "SET VARIABLE",
    "STREAM FILE",
    "VERBOSE",
    "WAIT FOR DIGIT",
)


def usage_block(*usage: str) -> str:
    return "\n".join(
        ["520-Invalid command syntax.  Proper usage follows:", *usage, "520 End of proper usage."]
    )


# A scripted reply: one text (may hold several lines), one per occurrence, or computed.
Reply = str | list[str] | Callable[[list[str]], str]


@dataclass
class FakeAsterisk:
    port: int
    host: str = "127.0.0.1"
    route: str = ROUTE_IVR
    uniqueid: str = "1700000000.1"
    callerid: str | None = "79131234567"
    arguments: tuple[str, ...] = ()
    # GET VARIABLE answers from here; SET VARIABLE writes here too.
    variables: dict[str, str] = field(default_factory=dict)
    # Successive GET DATA answers: the digits entered; "" is a timeout with nothing entered.
    digits: list[str] = field(default_factory=list)
    # Verb → scripted reply, overriding the default behaviour below.
    replies: dict[str, Reply] = field(default_factory=dict)
    # Verb → seconds to wait before answering (a long prompt, a slow application).  A new
    # command arriving meanwhile cuts a prompt short without a reply (see INTERRUPTIBLE);
    # other commands then answer at once (simpler than Asterisk, which finishes them first).
    delays: dict[str, float] = field(default_factory=dict)
    # Send HANGUP before answering command number N (0-based); the channel is dead from then on.
    hangup_before: int | None = None
    header: list[str] | None = None  # replaces the whole header block

    # What happened.
    commands: list[list[str]] = field(default_factory=list)
    set_variables: dict[str, str] = field(default_factory=dict)
    interrupted: list[list[str]] = field(default_factory=list)  # prompts cut by a new command
    closed_by_server: bool = False
    dead: bool = False

    @property
    def verbs(self) -> list[str]:
        return [self._verb(argv) or " ".join(argv[:1]) for argv in self.commands]

    async def run(self, within: float = 10.0) -> FakeAsterisk:
        """One call: header, then answer commands until the server closes the connection
        (which must happen ``within`` seconds)."""
        async with asyncio.timeout(within):
            reader, writer = await asyncio.open_connection(self.host, self.port)
            await self.converse(reader, writer)
        return self

    async def converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The call over a connection already open; closes it at the end."""
        # Lines are read by a task of their own so that a playing prompt can notice a new
        # command, as Asterisk does (it watches the AGI socket during playback).
        lines: asyncio.Queue[bytes] = asyncio.Queue()
        pump = asyncio.create_task(_pump(reader, lines))
        try:
            header = self.header
            if header is None:
                header = asterisk_header(
                    route=self.route,
                    uniqueid=self.uniqueid,
                    callerid=self.callerid,
                    arguments=self.arguments,
                )
            writer.write("".join(f"{line}\n" for line in header).encode() + b"\n")
            await writer.drain()
            await self._serve(lines, writer)
        finally:
            pump.cancel()
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _serve(self, lines: asyncio.Queue[bytes], writer: asyncio.StreamWriter) -> None:
        pending: bytes | None = None
        while True:
            line = pending if pending is not None else await lines.get()
            pending = None
            if not line:
                self.closed_by_server = True
                return
            argv = asterisk_parse_args(line[:-1].decode())
            if self.hangup_before == len(self.commands):
                writer.write(b"HANGUP\n")
                self.dead = True
            self.commands.append(argv)
            verb = self._verb(argv)
            delay = self.delays.get(verb or "")
            if delay and not self.dead:
                pending = await _next_line(lines, delay)
                if pending == b"":
                    self.closed_by_server = True
                    return
                if pending is not None and verb in INTERRUPTIBLE:
                    # res_agi.c: "Stop this command, don't print a result line, as there is
                    # a new command".
                    self.interrupted.append(argv)
                    continue
            reply = self._reply(verb, argv)
            if "HANGUP" in reply.split("\n"):
                self.dead = True
            writer.write(reply.encode() + b"\n")
            await writer.drain()

    @staticmethod
    def _verb(argv: list[str]) -> str | None:
        words = [w.upper() for w in argv]
        for n in (3, 2, 1):
            if " ".join(words[:n]) in VERBS:
                return " ".join(words[:n])
        return None

    def _reply(self, verb: str | None, argv: list[str]) -> str:
        if verb is None:
            return INVALID
        if self.dead and verb not in DEAD_ALLOWED:
            return DEAD
        scripted = self.replies.get(verb)
        if isinstance(scripted, list):
            if scripted:
                return scripted.pop(0)
        elif callable(scripted):
            return scripted(argv)
        elif scripted is not None:
            return scripted
        return self._default(verb, argv)

    def _default(self, verb: str, argv: list[str]) -> str:
        argc = len(argv)
        if verb == "SET VARIABLE":
            if argc != 4:
                return usage_block(" Usage: SET VARIABLE <variablename> <value>")
            self.variables[argv[2]] = argv[3]
            self.set_variables[argv[2]] = argv[3]
            return "200 result=1"
        if verb == "GET VARIABLE":
            if argc != 3:
                return usage_block(" Usage: GET VARIABLE <variablename>")
            value = self.variables.get(argv[2])
            return "200 result=0" if value is None else f"200 result=1 ({value})"
        if verb == "GET DATA":
            entered = self.digits.pop(0) if self.digits else ""
            return f"200 result={entered} (timeout)" if not entered else f"200 result={entered}"
        if verb == "STREAM FILE":
            if argc not in (4, 5):
                return usage_block(
                    " Usage: STREAM FILE <filename> <escape digits> [sample offset]"
                )
            return "200 result=0 endpos=8000"
        if verb == "RECORD FILE":
            return "200 result=0 (timeout) endpos=16000"
        if verb == "HANGUP":
            self.dead = True
            return "200 result=1\nHANGUP"
        return {"ANSWER": "200 result=0", "VERBOSE": "200 result=1"}.get(verb, "200 result=0")


async def _next_line(lines: asyncio.Queue[bytes], within: float) -> bytes | None:
    """The next line if one comes ``within`` seconds (b"" at EOF), else None."""
    try:
        return await asyncio.wait_for(lines.get(), within)
    except TimeoutError:
        return None


async def _pump(reader: asyncio.StreamReader, lines: asyncio.Queue[bytes]) -> None:
    while True:
        try:
            line = await reader.readline()
        except ConnectionError:
            line = b""
        await lines.put(line if line.endswith(b"\n") else b"")
        if not line.endswith(b"\n"):
            return
