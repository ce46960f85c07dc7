"""The one check for every value that reaches a line protocol (AMI headers, AGI commands).

AMI and AGI are line protocols: a CR or LF inside a value ends the header or command early,
and what follows is read as a new one (header injection); a NUL ends Asterisk's C string.
Every adapter that writes such a line passes each name and value through ``line_value``
before anything is written, so a value typed by a user can never become a second action.
"""

from __future__ import annotations

import re
from typing import Final

_FORBIDDEN: Final = re.compile(r"[\r\n\x00]")
_NAMES: Final = {"\r": "CR", "\n": "LF", "\x00": "NUL"}


class LineValueError(ValueError):
    """A value meant for one protocol line carries CR, LF or NUL."""

    def __init__(self, field: str, value: str) -> None:
        found = _FORBIDDEN.search(value)
        character = _NAMES[found[0]] if found is not None else "a line break"
        super().__init__(
            f"{field}: {character} is not allowed (protocol line values cannot contain newlines "
            f"or NUL): {value[:40]!r}"
        )
        self.field = field


def line_value(field: str, value: str) -> str:
    """``value`` unchanged, or LineValueError naming ``field`` if it has CR, LF or NUL."""
    if _FORBIDDEN.search(value) is not None:
        raise LineValueError(field, value)
    return value


def has_line_break(value: str) -> bool:
    """True if ``value`` carries CR, LF or NUL (it would be refused by ``line_value``)."""
    return _FORBIDDEN.search(value) is not None
