"""Command lines and replies seen before, kept for reuse (issue 19 item 2).

A call's commands are mostly the same few lines (its variables, its prompts) and their
replies mostly the same few lines (``200 result=1``, ``200 result=0``), yet each was encoded,
decoded and parsed again per command: a dictionary lookup replaces that.  Both memories are
bounded (full, they start over, so a stream of distinct lines cannot grow them) and keep no
line with four digits in a row in a caller's text: those may be a phone, an account or a PIN,
which have no business outliving their call.
"""

from __future__ import annotations

import re
from typing import Final

from hotline.protocol.agi import AgiReply, encode_arguments, parse_reply

# Distinct lines kept; an IVR's vocabulary of variables, prompts and replies is far smaller.
MEMO_SIZE: Final = 512
_PERSONAL: Final = re.compile(r"\d{4}")
_PERSONAL_BYTES: Final = re.compile(rb"\d{4}")

_lines: dict[tuple[str | int, ...], bytes] = {}
_replies: dict[bytes, AgiReply] = {}
# Bound once: the callers' hot path does one C call per lookup.
known_line: Final = _lines.get
known_reply: Final = _replies.get


def encode_kept(key: tuple[str | int, ...]) -> bytes:
    """``encode_arguments(key[0], key[1:])``, kept for ``known_line(key)`` unless a string
    argument may be personal (ints are our own timeouts and counts)."""
    verb = key[0]
    assert isinstance(verb, str)
    args = key[1:]
    line = encode_arguments(verb, args)
    if not any(isinstance(arg, str) and _PERSONAL.search(arg) for arg in args):
        if len(_lines) >= MEMO_SIZE:
            _lines.clear()
        _lines[key] = line
    return line


def parse_kept(raw: bytes, text: str) -> AgiReply:
    """``parse_reply(text)`` (``text`` is ``raw`` decoded), kept for ``known_reply(raw)``
    when it parses and holds nothing personal; errors are raised and never kept."""
    reply = parse_reply(text)
    if _PERSONAL_BYTES.search(raw) is None:
        if len(_replies) >= MEMO_SIZE:
            _replies.clear()
        _replies[raw] = reply
    return reply
