"""AMI messages as plain data: what consumers of the AMI adapter see (no I/O here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

# Asterisk's hang-up cause codes that matter to the call log and the dialer (Q.850).
HANGUP_CAUSES: Final[Mapping[int, str]] = {
    0: "unknown",
    1: "unallocated number",
    16: "normal clearing",
    17: "user busy",
    18: "no user responding",
    19: "no answer",
    21: "call rejected",
    27: "destination out of order",
    28: "invalid number format",
    31: "normal, unspecified",
    34: "circuit congestion",
    38: "network out of order",
    41: "temporary failure",
    42: "switching equipment congestion",
    127: "interworking",
}


# Headers that keep an AMI message off ``AmiEvent.from_frame``'s one pass (lower-cased).
_RESULT: Final = "result"
_ACTION_ID: Final = "actionid"
_COMMAND_ID: Final = "commandid"
_CHANVARIABLE: Final = "chanvariable("
_CONTENT: Final = "content"


@dataclass(frozen=True, slots=True)
class AmiEvent:
    """One AMI event; header lookup is case-insensitive, as Asterisk's header case varies."""

    name: str
    headers: Mapping[str, str]  # keys lower-cased
    received_at: float = 0.0
    variables: Mapping[str, str] = field(default_factory=dict)  # ChanVariable(...) headers

    @classmethod
    def from_headers(
        cls, items: Iterable[tuple[str, object]], received_at: float = 0.0
    ) -> AmiEvent:
        headers: dict[str, str] = {}
        variables: dict[str, str] = {}
        for key, value in items:
            text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
            lower = key.lower()
            if lower.startswith("chanvariable(") and lower.endswith(")"):
                variables[key[len("chanvariable(") : -1]] = text
            headers[lower] = text
        return cls(headers.get("event", ""), headers, received_at, variables)

    @classmethod
    def from_frame(cls, frame: str, received_at: float = 0.0) -> AmiEvent | None:
        """The event of one AMI message as received (``Key: value`` lines joined by CRLF), as
        ``from_headers`` makes it of panoramisk's ``Message.from_line(frame).items()``, in
        one pass (issue 19: the engine reads every event of every call; panoramisk's message,
        its case-insensitive dict and the copy here cost three times this).  None where the
        two could differ or the message is not a plain event: a header repeated (in any
        case), ``Result`` (panoramisk unquotes it), ``ChanVariable(...)``, ``ActionID`` or
        ``CommandID`` (a reply to an action), or no ``Event`` header first."""
        pairs = [line.split(": ", 1) for line in frame.split("\r\n") if ": " in line]
        if not pairs or pairs[0][0] != "Event":
            return None
        headers = {key.lower(): value for key, value in pairs}
        if (
            len(headers) != len(pairs)
            or _RESULT in headers
            or _ACTION_ID in headers
            or _COMMAND_ID in headers
            or _CHANVARIABLE in frame.lower()
        ):
            return None
        # panoramisk's Message always holds "content" (its body, empty for an event).
        headers[_CONTENT] = ""
        return cls(headers["event"], headers, received_at, {})

    def __getitem__(self, key: str) -> str:
        return self.headers[key.lower()]

    def get(self, key: str, default: str = "") -> str:
        return self.headers.get(key.lower(), default)

    @property
    def uniqueid(self) -> str:
        return self.get("uniqueid")

    @property
    def linkedid(self) -> str:
        return self.get("linkedid")


def hangup_cause_text(code: str | int | None) -> str | None:
    if code is None or code == "":
        return None
    try:
        number = int(code)
    except ValueError:
        return str(code)
    return f"{number} {HANGUP_CAUSES.get(number, 'cause ' + str(number))}"
