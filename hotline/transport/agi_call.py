"""One FastAGI session as a route handler sees it: typed AGI commands, no socket work.

Replies are read strictly one per command (AGI is lock-step), except for the commands a
handler sends without waiting (``send_ahead``, ``hand_back``: :mod:`agi_hand_back`), whose
replies are read later, in order.  The only unsolicited line is ``HANGUP``; Asterisk sends it
once, between commands, as soon as it notices the caller left.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from collections.abc import Mapping
from typing import Final, NoReturn

from hotline.core.metrics import (
    AGI_COMMAND_BUCKETS,
    AGI_FIRST_BOUND,
    agi_command_counts,
    agi_counts_of,
)
from hotline.dialplan.names import ChannelVar, IvrStatus, OperatorReason
from hotline.protocol.agi import (
    AGI_HANGUP_LINE,
    MSET_APP,
    RESULT_DIGITS,
    AgiCommandFailed,
    AgiDeadChannel,
    AgiEnvironment,
    AgiHangup,
    AgiProtocolError,
    AgiReply,
    AgiTimeout,
    DigitsResult,
    PlaybackResult,
    RecordResult,
    encode_arguments,
    encode_command,
    is_usage_block_end,
    mset_split,
    new_result,
    parse_usage_block,
    reply_digit,
    reply_number,
)
from hotline.protocol.agi_memo import encode_kept, known_line, known_reply, parse_kept
from hotline.transport.agi_deadline import ReadDeadline, ReadExpired
from hotline.transport.agi_hand_back import HandedBack, Owed, Pipelined

log = logging.getLogger(__name__)

FAILURE_REASON: Final = OperatorReason.FAILURE

_HANGUP: Final = (AGI_HANGUP_LINE + "\n").encode()
# After HANGUP, the reply to the command we already sent (usually 511) is on its way at once.
_FOLLOWUP_TIMEOUT: Final = 1.0
# After result=-1 from a media command: if the caller hung up, Asterisk's HANGUP line follows
# within a millisecond; if it does not come, the command itself failed (e.g. missing prompt).
_HANGUP_PROBE_TIMEOUT: Final = 0.5
# Read timeout on top of the AGI-level wait of GET DATA / WAIT FOR DIGIT / RECORD FILE.
_WAIT_SLACK: Final = 5.0
_MAX_USAGE_LINES: Final = 500
# EXEC's result for an application Asterisk does not have.
_NO_SUCH_APP: Final = -2

_ANSWER: Final = encode_command("ANSWER")
_HANGUP_COMMAND: Final = encode_command("HANGUP")
_FAILURE_REPORT: Final = encode_command(
    "SET VARIABLE", ChannelVar.STATUS, IvrStatus.FAILED
) + encode_command("SET VARIABLE", ChannelVar.OPERATOR_REASON, FAILURE_REASON)
# Sentinel for resynchronising after a cancelled command: nothing else replies with this line.
_STATUS_PROBE: Final = encode_command("GET VARIABLE", ChannelVar.STATUS)
_STATUS_PROBE_REPLY: Final = f"200 result=1 ({IvrStatus.FAILED})\n".encode()


class AgiCall(Pipelined):
    """What a route handler gets.  Every command has a timeout (``command_timeout`` unless
    overridden); a timed-out or garbled exchange closes the session."""

    __slots__ = (
        "_clock",
        "_deadline",
        "_debug",
        "_route",
        "_started",
        "env",
    )

    def __init__(
        self,
        env: AgiEnvironment,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        command_timeout: float,
        debug: bool = False,
        deadline: ReadDeadline | None = None,
    ) -> None:
        self.env = env
        self._route = env.route  # read several times per session: parsed once
        self._reader = reader
        self._writer = writer
        # StreamWriter.write() only hands the line to its transport: one Python call less
        # per command (test doubles that are not StreamWriters are written to as they are).
        self._send = (
            writer.transport.write if isinstance(writer, asyncio.StreamWriter) else writer.write
        )
        self._timeout = command_timeout
        self._debug = debug  # looked up once per call: per-command logging is DEBUG only
        self._hung_up = False
        self._broken: str | None = None  # why the stream can no longer be trusted
        self._in_flight = False  # a command was sent and its reply not yet consumed
        self.handed_back: HandedBack | None = None  # the last commands, replies unread
        self._ahead: Owed | None = None  # commands sent ahead, replies unread
        # Reply deadlines: the session's one timer (the server's, armed for the header).
        self._deadline = ReadDeadline(reader) if deadline is None else deadline
        self._clock = self._deadline.clock
        self._started = self._clock()

    @property
    def uniqueid(self) -> str:
        return self.env.uniqueid

    @property
    def route(self) -> str:
        return self._route

    @property
    def hung_up(self) -> bool:
        return self._hung_up

    @property
    def age(self) -> float:
        """Seconds since the session started."""
        return self._clock() - self._started

    # --- Low level ----------------------------------------------------------------------------
    # The ``timeout`` parameters below are part of the protocol, not cancel scopes (ASYNC109):
    # Asterisk waits that long itself, and a reply deadline must also retire the session, which
    # a caller's asyncio.timeout() around a command could not do.
    async def command(
        self,
        verb: str,
        *args: str | int,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> AgiReply:
        """Send one AGI command and return its ``200`` reply; other replies raise AgiError."""
        return await self._execute(encode_command(verb, *args), verb, timeout)

    async def _execute(self, line: bytes, verb: str, wait: float | None) -> AgiReply:
        # The hot path of every command, kept flat (the reply read inlined, no nested
        # coroutine): every reply resumes the whole await chain, and the bench holds this
        # against a bare write-and-readline server.
        if self._hung_up or self._broken is not None or self._in_flight:
            self._refuse(verb)
        if self._debug:
            log.debug("AGI >> %s", line[:-1].decode("utf-8", "replace"))
        # No drain(): we wait for the reply before sending more, so the write buffer never
        # holds more than one command line.
        self._send(line)
        self._in_flight = True
        limit = self._timeout if wait is None else wait
        deadline = self._deadline
        deadline.at = at = self._clock() + limit
        if at < deadline.timer_at:  # minus infinity under the server's sweeper
            deadline.arm_for(at)
        deadline.reading = True
        try:
            # readuntil() itself, not readline() around it (one coroutine less per reply);
            # its two rare errors are readline()'s as below.
            raw = await self._reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:  # EOF: what came before it
            raw = exc.partial
        except asyncio.LimitOverrunError:
            raise await self._overrun(verb) from None
        except ReadExpired:
            raise self._expired(verb, limit) from None
        except ConnectionError:
            self._hung_up = True
            raise AgiHangup(f"{verb}: connection lost") from None
        finally:
            deadline.reading = False
        if deadline.expired:  # the timer fired in the pass that brought the reply
            raise self._expired(verb, limit)
        # The latency histogram, counted inline as metrics.observe_agi_command counts it (a
        # call less per command); the deadline is the send time + limit, so one clock read.
        seconds = self._clock() - at + limit
        counts = agi_counts_of(verb) or agi_command_counts(verb)
        if seconds < AGI_FIRST_BOUND:
            counts[0] += 1
        else:
            counts[bisect.bisect_left(AGI_COMMAND_BUCKETS, seconds)] += 1
        counts[-1] += seconds
        reply = known_reply(raw)  # a 200 line parsed before (agi_memo)
        if reply is not None:
            self._in_flight = False
            if self._debug:
                log.debug("AGI << %s", raw.decode("utf-8", "replace").rstrip())
            return reply
        if raw == _HANGUP or not raw.endswith(b"\n"):
            await self._hung_up_while(raw, verb)
        text = raw.decode("utf-8", "replace")
        if raw.startswith(b"520-"):
            raise await self._usage_block(text, verb, limit)
        self._in_flight = False
        if self._debug:
            log.debug("AGI << %s", text.rstrip())
        try:
            return parse_kept(raw, text)
        except AgiDeadChannel:
            self._hung_up = True
            raise
        except AgiProtocolError:
            self._broken = "garbled reply"
            raise

    def _refuse(self, verb: str) -> NoReturn:
        if self._hung_up:
            raise AgiHangup(f"{verb}: the caller has hung up")
        reason = self._broken or "an earlier command was cancelled before its reply"
        raise AgiProtocolError(f"{verb}: session unusable ({reason})")

    async def _next_line(self, verb: str, limit: float) -> bytes:
        """One more line of a reply, due within ``limit`` seconds (a usage block's)."""
        deadline = self._deadline
        deadline.start(limit)
        try:
            raw = await self._reader.readline()
        except ReadExpired:
            raise self._expired(verb, limit) from None
        except ValueError:
            raise self._oversized(verb) from None
        except ConnectionError:
            self._hung_up = True
            raise AgiHangup(f"{verb}: connection lost") from None
        finally:
            deadline.reading = False
        if deadline.expired:
            raise self._expired(verb, limit)
        if not raw.endswith(b"\n"):
            await self._hung_up_while(raw, verb)
        return raw

    async def _overrun(self, verb: str) -> AgiProtocolError:
        """A reply line over the stream's limit (max_line_bytes).  readline() drops it and
        raises ValueError, as it did here before: nothing was consumed or awaited since
        readuntil() refused, so it meets the same buffer."""
        with contextlib.suppress(ValueError):
            await self._reader.readline()
        return self._oversized(verb)

    def _expired(self, verb: str, limit: float) -> AgiTimeout:
        self._broken = f"no reply to {verb} within {limit:g} s"
        return AgiTimeout(self._broken)

    def _oversized(self, verb: str) -> AgiProtocolError:
        self._broken = "reply line over the size limit"
        return AgiProtocolError(f"{verb}: {self._broken}")

    async def _hung_up_while(self, raw: bytes, verb: str) -> None:
        """EOF (Asterisk is done with the channel) or HANGUP instead of a reply: raise."""
        self._hung_up = True
        if raw == _HANGUP:
            await self._consume_after_hangup()
            raise AgiHangup(f"{verb}: the caller hung up")
        raise AgiHangup(f"{verb}: Asterisk closed the connection")

    def _release(self) -> None:
        """Session over (server use): drop the deadline timer."""
        self._deadline.release()

    async def _consume_after_hangup(self) -> None:
        self._hung_up = True
        try:
            async with asyncio.timeout(_FOLLOWUP_TIMEOUT):
                await self._reader.readline()
        except (TimeoutError, ValueError, ConnectionError):
            return  # hung_up: the socket is not used again anyway
        self._in_flight = False

    async def _usage_block(self, first: str, verb: str, limit: float) -> Exception:
        lines = [first]
        while not is_usage_block_end(lines[-1]):
            if len(lines) > _MAX_USAGE_LINES:
                self._broken = "endless 520 usage block"
                return AgiProtocolError(f"{verb}: {self._broken}")
            lines.append((await self._next_line(verb, limit)).decode("utf-8", "replace"))
        self._in_flight = False
        error = parse_usage_block(lines)
        error.add_note(f"command: {verb}")
        return error

    async def _failed(self, reply: AgiReply, verb: str) -> NoReturn:
        """Media and digit commands answer ``result=-1`` both when they fail and when the
        caller hangs up during them; tell the two apart by the HANGUP line."""
        if await self._hangup_follows():
            self._hung_up = True
            raise AgiHangup(f"{verb}: the caller hung up")
        raise AgiCommandFailed(f"{verb} failed (result=-1)", reply)

    async def _hangup_follows(self) -> bool:
        try:
            async with asyncio.timeout(_HANGUP_PROBE_TIMEOUT):
                raw = await self._reader.readline()
        except TimeoutError:
            return False  # nothing consumed; the stream is still in step
        except (ValueError, ConnectionError):
            return True
        if raw == _HANGUP or raw[-1:] != b"\n":
            return True
        self._broken = "unsolicited line from Asterisk"
        raise AgiProtocolError(f"{self._broken}: {raw[:80]!r}")

    def _wait_timeout(self, agi_wait: float) -> float:
        return max(self._timeout, agi_wait + _WAIT_SLACK)

    # --- Typed helpers --------------------------------------------------------------------------
    # They call _execute() directly and test result=-1 inline: no extra coroutine per command.
    async def answer(self) -> None:
        reply = await self._execute(_ANSWER, "ANSWER", None)
        if reply.result == "-1":
            await self._failed(reply, "ANSWER")

    async def hangup(self) -> None:
        """Hang the channel up; later commands raise AgiHangup without touching the socket."""
        await self._execute(_HANGUP_COMMAND, "HANGUP", None)
        self._hung_up = True

    async def stream_file(
        self, name: str, escape_digits: str = "", offset: int = 0
    ) -> PlaybackResult:
        """Play a sound file (no extension); a key in ``escape_digits`` stops it."""
        if offset:
            line = encode_arguments("STREAM FILE", (name, escape_digits, offset))
        else:
            line = known_line(key := ("STREAM FILE", name, escape_digits)) or encode_kept(key)
        reply = await self._execute(line, "STREAM FILE", None)
        result = reply.result
        if result == "-1":
            await self._failed(reply, "STREAM FILE")
        # The key and the end position as reply_digit() and reply_number() read them, the
        # usual values without their calls (issue 19 item 2: a prompt per command).
        digit = RESULT_DIGITS[result] if result in RESULT_DIGITS else reply_digit(reply)
        try:
            endpos = int(reply.extras.get("endpos", "0"))
        except ValueError:
            endpos = reply_number(reply.extras["endpos"], reply)  # raises AgiProtocolError
        return new_result(PlaybackResult, (digit, endpos))

    async def get_data(
        self,
        prompt: str,
        timeout: float,  # noqa: ASYNC109
        max_digits: int,
    ) -> DigitsResult:
        """Play ``prompt`` and collect up to ``max_digits`` digits, ``timeout`` seconds apart;
        ``#`` ends input early and is not returned."""
        key = ("GET DATA", prompt, round(timeout * 1000), max_digits)  # _ms(timeout)
        line = known_line(key) or encode_kept(key)
        # _wait_timeout(timeout * (max_digits + 1)), inline.
        wait = max(self._timeout, timeout * (max_digits + 1) + _WAIT_SLACK)
        reply = await self._execute(line, "GET DATA", wait)
        if reply.result == "-1":
            await self._failed(reply, "GET DATA")
        return new_result(DigitsResult, (reply.result, reply.data == "timeout"))

    async def wait_for_digit(self, timeout: float) -> str | None:  # noqa: ASYNC109
        """Wait up to ``timeout`` seconds for one key; None if none was pressed."""
        if timeout < 0:
            raise ValueError("wait_for_digit needs a timeout (Asterisk's -1 waits forever)")
        line = encode_arguments("WAIT FOR DIGIT", (_ms(timeout),))
        reply = await self._execute(line, "WAIT FOR DIGIT", self._wait_timeout(timeout))
        if reply.result == "-1":
            await self._failed(reply, "WAIT FOR DIGIT")
        return reply_digit(reply)

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        """Say a digit string one digit at a time; returns the escape digit pressed, if any."""
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError(f"SAY DIGITS takes digits only, got {digits!r}")
        reply = await self._execute(
            encode_arguments("SAY DIGITS", (digits, escape_digits)), "SAY DIGITS", None
        )
        if reply.result == "-1":
            await self._failed(reply, "SAY DIGITS")
        return reply_digit(reply)

    async def set_variable(self, name: str, value: str) -> None:
        line = known_line(key := ("SET VARIABLE", name, value)) or encode_kept(key)
        await self._execute(line, "SET VARIABLE", None)

    async def set_variables(self, values: Mapping[str, str]) -> None:
        """Several channel variables in one round trip (EXEC MSet) for those whose names and
        values are plain, and one SET VARIABLE for each other one, or each of them where
        Asterisk lacks MSet (issue 19: each round trip under load is time the caller waits for
        the next prompt)."""
        data, others = mset_split(values)
        if data is not None and await self.exec(MSET_APP, data) == _NO_SUCH_APP:
            others = dict(values)
        for name, value in others.items():
            await self.set_variable(name, value)

    async def get_variable(self, name: str) -> str | None:
        """A channel variable (or dialplan function); None when it is not set."""
        line = known_line(key := ("GET VARIABLE", name)) or encode_kept(key)
        reply = await self._execute(line, "GET VARIABLE", None)
        return (reply.data or "") if reply.result == "1" else None

    async def exec(self, app: str, *args: str, timeout: float | None = None) -> int:  # noqa: ASYNC109
        """Run a dialplan application; returns its result (-2: no such application).

        Asterisk takes the application's data as one argument, so ``args`` are joined with
        commas, as in the dialplan.
        """
        line = encode_arguments("EXEC", (app, ",".join(args)) if args else (app,))
        reply = await self._execute(line, "EXEC", timeout)
        return reply_number(reply.result, reply)

    async def verbose(self, message: str, level: int = 1) -> None:
        await self._execute(encode_arguments("VERBOSE", (message, level)), "VERBOSE", None)

    async def record_file(
        self,
        filename: str,
        format: str = "wav",  # Asterisk's name for it
        escape_digits: str = "#",
        timeout: float | None = None,  # noqa: ASYNC109
        beep: bool = True,
        silence: int | None = None,
    ) -> RecordResult:
        """Record to ``filename.format`` until an escape digit, ``timeout`` seconds (None: no
        limit) or ``silence`` seconds of silence.  A caller hanging up mid-recording is a
        normal end (reason "hangup"): the recording is kept."""
        args: list[str | int] = [filename, format, escape_digits]
        args.append(-1 if timeout is None else _ms(timeout))
        if beep:
            args.append("BEEP")
        if silence:
            args.append(f"s={int(silence)}")
        wait = self._timeout if timeout is None else self._wait_timeout(timeout)
        reply = await self._execute(
            encode_arguments("RECORD FILE", tuple(args)), "RECORD FILE", wait
        )
        reason = reply.data or ""
        if reason not in ("dtmf", "timeout", "hangup"):
            raise AgiCommandFailed(f"RECORD FILE failed ({reason or reply.result})", reply)
        if reason == "hangup":
            self._hung_up = True
        digit = reply_digit(reply) if reason == "dtmf" else None
        return RecordResult(digit, reply_number(reply.extras.get("endpos", "0"), reply), reason)

    # --- Used by the server ---------------------------------------------------------------------
    async def report_failure(self) -> None:
        """Set HOTLINE_STATUS=FAILED (and the operator reason) so the dialplan sends the caller
        to the fallback.  Best effort: the server bounds it with a timeout."""
        if self._hung_up or self._broken is not None:
            return
        if not self._in_flight:
            await self.set_variable(ChannelVar.STATUS, IvrStatus.FAILED)
            await self.set_variable(ChannelVar.OPERATOR_REASON, FAILURE_REASON)
            return
        # A command was cancelled mid-flight.  Its reply may still come, or never (Asterisk
        # drops the reply of a prompt that a new command interrupts), so pipeline the two SETs
        # and a GET whose reply cannot be mistaken, then read up to that reply.
        self._writer.write(_FAILURE_REPORT + _STATUS_PROBE)
        while True:
            raw = await self._reader.readline()
            if raw == _STATUS_PROBE_REPLY:
                self._in_flight = False
                return
            if raw == _HANGUP or raw[-1:] != b"\n":
                self._hung_up = True
                return


def _ms(seconds: float) -> int:
    return round(seconds * 1000)
