"""The AGI protocol as Asterisk 22 speaks it over FastAGI: pure parsing and encoding, no I/O.

The oracle is ``res/res_agi.c``: ``setup_env`` writes the ``agi_*`` header, ``parse_args`` splits
our command lines, and every reply is one ``200 result=...`` line, except ``510``/``511``, the
multi-line ``520-`` usage block, and the unsolicited ``HANGUP`` line sent when the caller leaves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from enum import IntEnum
from types import MappingProxyType
from typing import Final, NamedTuple

from hotline.protocol.lines import line_value


class AgiCode(IntEnum):
    """Reply codes of the FastAGI protocol."""

    SUCCESS = 200
    INVALID_COMMAND = 510
    DEAD_CHANNEL = 511
    USAGE = 520


AGI_HANGUP_LINE: Final = "HANGUP"

# Asterisk reads a command with fgets() into a 2048-byte buffer (AGI_BUF_LEN): a longer line is
# cut, and its tail runs as a second command.  2047 bytes including the newline fit.
MAX_COMMAND_BYTES: Final = 2047
# parse_args() keeps at most MAX_ARGS - 1 = 127 words (verb words included), dropping the rest.
MAX_COMMAND_WORDS: Final = 127
USAGE_END: Final = "520 End of proper usage."
# STREAM FILE reports its end position in samples; Asterisk plays telephone audio at 8 kHz.
SAMPLES_PER_SECOND: Final = 8000

_NO_EXTRAS: Final[Mapping[str, str]] = MappingProxyType({})
# Characters that make an argument need quoting: parse_args() splits on space and tab, and
# gives '"' and '\\' their special meaning anywhere in a word.
_NEEDS_QUOTING: Final = re.compile(r'[ \t"\\\n\r\x00]')
_HEADER_LINE: Final = re.compile(r"^(agi_[A-Za-z0-9_]+): ?([^\n]*)$", re.MULTILINE)
_UNKNOWN: Final = "unknown"  # what setup_env() prints for an absent caller ID or DNID
# A caller ID, name or DNID that is not there: Asterisk's word for it, empty, or no line.
_ABSENT: Final = frozenset({_UNKNOWN, "", None})
# Builds a NamedTuple from its fields without the class's own __new__ (a Python frame):
# ``new_result(PlaybackResult, (digit, endpos))``.
_tuple: Final = tuple.__new__
new_result: Final = _tuple


# --- Errors, one per way a reply can go wrong -------------------------------------------------
class AgiError(Exception):
    """Base of every AGI failure."""


class AgiInvalidCommand(AgiError):
    """510: Asterisk does not know the command."""


class AgiDeadChannel(AgiError):
    """511: the command is not permitted on a dead channel (the caller has gone)."""


class AgiUsageError(AgiError):
    """520: wrong arguments; ``usage`` is Asterisk's usage text (may be empty)."""

    def __init__(self, message: str, usage: str = "") -> None:
        super().__init__(message)
        self.usage = usage


class AgiHangup(AgiError):
    """The caller hung up: Asterisk sent ``HANGUP`` (or closed the connection)."""


class AgiProtocolError(AgiError):
    """Something that is not AGI arrived, or the session can no longer be trusted."""


class AgiCommandFailed(AgiError):
    """The command ran but reported failure (``result=-1``), e.g. a prompt file is missing."""

    def __init__(self, message: str, reply: AgiReply) -> None:
        super().__init__(message)
        self.reply = reply


class AgiTimeout(AgiError):
    """No reply within the command's timeout; the session is closed after this."""


# --- Parsed data ------------------------------------------------------------------------------
class AgiEnvironment(NamedTuple):
    """The ``agi_*`` header block that opens every FastAGI session.

    A NamedTuple, as ``AgiReply``: one is built per call, and :func:`parse_header_block`
    builds the tuple directly, a tenth of a frozen dataclass's thirteen ``__setattr__`` calls
    (issue 19 item 2)."""

    uniqueid: str
    channel: str
    callerid: str | None
    calleridname: str | None
    dnid: str | None
    extension: str
    context: str
    priority: int
    language: str
    request: str
    network_script: str
    arguments: tuple[str, ...]
    raw: Mapping[str, str]

    @property
    def route(self) -> str:
        """The route key: ``agi://host/ivr?x=1`` → ``ivr``."""
        return self.network_script.partition("?")[0].strip("/")


class AgiReply(NamedTuple):
    """One ``200`` reply: ``200 result=<result> [(<data>)] [key=value ...]``.

    A NamedTuple rather than a frozen dataclass: one is built per AGI command, and a tuple
    is built in less than half the time (issue 19 item 2); it is just as immutable."""

    code: int
    result: str
    data: str | None
    extras: Mapping[str, str]


# The commands' typed results are NamedTuples too (one per command): the transport builds
# them with ``tuple.__new__`` (``new_result``).
class PlaybackResult(NamedTuple):
    digit: str | None  # the escape digit that stopped playback, if any
    endpos: int  # samples played (8000 per second), handy to tell a full play from barge-in

    @property
    def seconds(self) -> float:
        """How long the sound played before it ended or was interrupted."""
        return self.endpos / SAMPLES_PER_SECOND


class DigitsResult(NamedTuple):
    digits: str  # without the terminating '#'
    timed_out: bool


class RecordResult(NamedTuple):
    digit: str | None  # the escape digit that ended the recording
    endpos: int
    reason: str  # "dtmf", "timeout" (also silence / time limit) or "hangup"


# --- Header -----------------------------------------------------------------------------------
def parse_header_line(line: str) -> tuple[str, str]:
    """``agi_key: value`` → (key, value); anything else is an AgiProtocolError."""
    key, sep, value = line.rstrip("\r\n").partition(":")
    if not sep or len(key) < 5 or not key.startswith("agi_") or not key.isidentifier():
        raise AgiProtocolError(f"not an AGI header line: {line[:80]!r}")
    return key, value[1:] if value.startswith(" ") else value


def parse_environment(lines: Iterable[str]) -> AgiEnvironment:
    """Build the environment from the header lines (without the terminating blank line)."""
    return parse_header_block("".join(line.rstrip("\r\n") + "\n" for line in lines))


def parse_header_block(text: str) -> AgiEnvironment:
    """The same from the header as received: lines each ending in a newline, no blank line.

    One regex pass over the block (the server parses a header per call); the per-line
    parser only runs to name the offending line when something does not match.
    """
    pairs = _HEADER_LINE.findall(text)
    if len(pairs) != text.count("\n"):
        for line in text.splitlines():
            parse_header_line(line)
        raise AgiProtocolError("malformed AGI header")
    if "\r" in text:  # CRLF line ends (Asterisk sends LF): as parse_header_line does
        pairs = [(key, value.rstrip("\r")) for key, value in pairs]
    raw = dict(pairs)
    if len(raw) != len(pairs):
        keys = [key for key, _ in pairs]
        raise AgiProtocolError(
            f"duplicate AGI header {next(k for k in keys if keys.count(k) > 1)}"
        )
    if not raw.get("agi_uniqueid") or not raw.get("agi_channel"):
        missing = "agi_uniqueid" if not raw.get("agi_uniqueid") else "agi_channel"
        raise AgiProtocolError(f"AGI header without {missing}")
    try:
        priority = int(raw.get("agi_priority") or 0)
    except ValueError:
        raise AgiProtocolError(f"bad agi_priority {raw['agi_priority']!r}") from None
    get = raw.get
    # AgiEnvironment's fields in order, as a tuple (the NamedTuple's __new__ is a Python call).
    return _tuple(
        AgiEnvironment,
        (
            raw["agi_uniqueid"],
            raw["agi_channel"],
            None if (value := get("agi_callerid")) in _ABSENT else value,
            None if (value := get("agi_calleridname")) in _ABSENT else value,
            None if (value := get("agi_dnid")) in _ABSENT else value,
            get("agi_extension", ""),
            get("agi_context", ""),
            priority,
            get("agi_language", ""),
            get("agi_request", ""),
            get("agi_network_script", ""),
            _arguments(raw) if "agi_arg_" in text else (),
            MappingProxyType(raw),
        ),
    )


def _arguments(raw: Mapping[str, str]) -> tuple[str, ...]:
    numbered = []
    for key, value in raw.items():
        if key.startswith("agi_arg_"):
            index = key[8:]
            if not index.isdigit():
                raise AgiProtocolError(f"bad AGI argument header {key}")
            numbered.append((int(index), value))
    return tuple(value for _, value in sorted(numbered))


# --- Replies ----------------------------------------------------------------------------------
# The two common replies are built without the NamedTuple's own __new__ (a Python frame) or the
# enum member lookup: once per AGI command (issue 19 item 2).
_SUCCESS: Final = AgiCode.SUCCESS


def parse_reply(line: str) -> AgiReply:
    """Parse one reply line; 510/511/520/HANGUP/garbage raise their AgiError subclass.

    A multi-line ``520-`` block is assembled by the caller (see ``parse_usage_block``).
    """
    if line.startswith("200 result="):  # every normal reply: keep this path short
        result, space, tail = line[11:].rstrip("\r\n").partition(" ")
        if not space:  # "200 result=1"
            return _tuple(AgiReply, (_SUCCESS, result, None, _NO_EXTRAS))
        if tail.startswith("(") and tail.endswith(")"):  # "200 result=1 (value)"
            # GET VARIABLE prints the value raw inside the parentheses, so it may itself
            # hold parentheses: the data runs to the last ')'.  Extras never contain one.
            return _tuple(AgiReply, (_SUCCESS, result, tail[1:-1], _NO_EXTRAS))
        return _parse_success_tail(result, tail, line)
    line = line.rstrip("\r\n")
    code = line[:3]
    if code == "510":
        raise AgiInvalidCommand(line)
    if code == "511":
        raise AgiDeadChannel(line)
    if code == "520":
        raise AgiUsageError(line, line[4:] if line[3:4] == "-" else "")
    if line == AGI_HANGUP_LINE:
        raise AgiHangup("the caller hung up")
    raise AgiProtocolError(f"unexpected AGI reply {line[:80]!r}")


def _parse_success_tail(result: str, tail: str, line: str) -> AgiReply:
    data = None
    if tail.startswith("("):  # data, then extras: "200 result=35 (dtmf) endpos=1234"
        close = tail.rfind(")")
        if close < 0:
            raise AgiProtocolError(f"unbalanced parenthesis in AGI reply {line[:80]!r}")
        data, tail = tail[1:close], tail[close + 1 :]
        if not tail:
            return AgiReply(AgiCode.SUCCESS, result, data, _NO_EXTRAS)
    extras = {}
    for token in tail.split():
        key, sep, value = token.partition("=")
        if not sep or not key:
            raise AgiProtocolError(f"unexpected token {token!r} in AGI reply {line[:80]!r}")
        extras[key] = value
    return AgiReply(
        AgiCode.SUCCESS, result, data, MappingProxyType(extras) if extras else _NO_EXTRAS
    )


def is_usage_block_start(line: str) -> bool:
    """``520-Invalid command syntax.  Proper usage follows:`` opens a multi-line block."""
    return line.startswith("520-")


def is_usage_block_end(line: str) -> bool:
    return line.startswith("520 ")


def parse_usage_block(lines: Sequence[str]) -> AgiUsageError:
    """The whole ``520-`` ... ``520 End of proper usage.`` block → the error to raise."""
    body = [line.rstrip("\r\n") for line in lines]
    if len(body) < 2 or not is_usage_block_start(body[0]) or not is_usage_block_end(body[-1]):
        raise AgiProtocolError("malformed 520 usage block")
    return AgiUsageError(body[0][4:], "\n".join(body[1:-1]))


# --- Commands ---------------------------------------------------------------------------------
def quote_argument(arg: str) -> str:
    """Quote one argument so that Asterisk's parse_args() yields it back unchanged."""
    if not arg:
        return '""'  # an empty argument must still occupy its position
    if _NEEDS_QUOTING.search(arg) is None:
        return arg
    # A newline would end the command early; NUL ends the C string.
    line_value("AGI argument", arg)
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_command(verb: str, *args: str | int) -> bytes:
    """``encode_command("SET VARIABLE", "X", "a b")`` → ``b'SET VARIABLE X "a b"\\n'``."""
    if not line_value("AGI verb", verb).strip():
        raise ValueError(f"bad AGI verb {verb!r}")
    if len(args) + verb.count(" ") + 1 > MAX_COMMAND_WORDS:
        raise ValueError(f"{verb}: too many arguments for Asterisk ({len(args)})")
    return encode_arguments(verb, args)


def encode_arguments(verb: str, args: tuple[str | int, ...]) -> bytes:
    """``encode_command`` for a verb known to be valid (a literal in our code, few words):
    only the arguments are checked and quoted."""
    line = verb
    for arg in args:
        if arg.__class__ is not str:
            arg = str(arg)  # ints, and StrEnum members (their value)
        if not arg or _NEEDS_QUOTING.search(arg) is not None:
            arg = quote_argument(arg)
        line += " " + arg
    data = (line + "\n").encode()
    if len(data) > MAX_COMMAND_BYTES:
        raise ValueError(f"{verb}: command is {len(data)} bytes, Asterisk reads at most 2047")
    return data


# Names and values MSet takes as they are: nothing its argument parsing would split or strip
# (commas, quotes, backslashes, brackets, '=') and nothing empty.
_MSET_PLAIN: Final = re.compile(r"[A-Za-z0-9_./:+@-]+")
# The dialplan application that sets several variables at once (one AGI round trip).
MSET_APP: Final = "MSet"


def mset_data(values: Mapping[str, str]) -> str | None:
    """``MSet``'s data for ``values`` (``A=1,B=2``), or None when a name or value is not plain
    (then each goes by SET VARIABLE, which takes any value)."""
    if not all(_MSET_PLAIN.fullmatch(n) and _MSET_PLAIN.fullmatch(v) for n, v in values.items()):
        return None
    return ",".join(f"{name}={value}" for name, value in values.items())


def mset_split(values: Mapping[str, str]) -> tuple[str | None, dict[str, str]]:
    """``MSet``'s data for the plain ones of ``values`` when there are two or more (else None),
    and the others, each for a SET VARIABLE of its own."""
    plain = {
        n: v for n, v in values.items() if _MSET_PLAIN.fullmatch(n) and _MSET_PLAIN.fullmatch(v)
    }
    if len(plain) < 2:
        return None, dict(values)
    data = ",".join(f"{name}={value}" for name, value in plain.items())
    return data, {n: v for n, v in values.items() if n not in plain}


def result_digit(result: str) -> str | None:
    """Playback/digit commands return the key's ASCII code, 0 for none."""
    code = int(result)
    return chr(code) if code > 0 else None


def reply_number(value: str, reply: AgiReply) -> int:
    """A number in ``reply`` (its result, an extra such as ``endpos``); garbage is a protocol
    error."""
    try:
        return int(value)
    except ValueError:
        raise AgiProtocolError(f"expected a number in AGI reply, got {reply}") from None


def reply_digit(reply: AgiReply) -> str | None:
    """The key a playback or digit command's reply reports (None: no key); garbage is a
    protocol error."""
    try:
        return result_digit(reply.result)
    except ValueError:
        raise AgiProtocolError(f"expected a key code in AGI reply, got {reply}") from None


# result_digit()'s answer for each result as Asterisk prints it (0, or a key's code), looked up
# rather than parsed on the transport's hot path (issue 19 item 2); others go to result_digit.
RESULT_DIGITS: Final[Mapping[str, str | None]] = MappingProxyType(
    {"0": None} | {str(code): chr(code) for code in range(1, 128)}
)
