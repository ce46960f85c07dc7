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
