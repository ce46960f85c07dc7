"""The contact's values on a progressive campaign call (issue 22 item 2), carried to the
operator's screen pop in one channel variable (``ChannelVar.CONTACT``): «name=value; ...».
Pure: no I/O."""

from __future__ import annotations

from typing import Final

CONTACT_SEPARATOR: Final = "; "


def contact_text(variables: dict[str, str], allowed: frozenset[str]) -> str:
    """The contact's values for the screen pop as «name=value; ...»: the scenario's variables
    only, in name order, with the separator characters taken out of the values."""
    parts = []
    for name in sorted(variables):
        if name not in allowed:
            continue
        value = " ".join(variables[name].replace(";", ",").replace("=", " ").split())
        parts.append(f"{name}={value}")
    return CONTACT_SEPARATOR.join(parts)


def parse_contact(text: str | None) -> dict[str, str]:
    """:func:`contact_text` back into names and values."""
    values: dict[str, str] = {}
    for part in (text or "").split(CONTACT_SEPARATOR.strip()):
        name, sep, value = part.strip().partition("=")
        if sep and name:
            values[name] = value
    return values
