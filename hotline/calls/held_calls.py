"""A call's row, end and outcome the call tracker holds while the store is away, and their
form in the held-writes spool (issue 21: held in memory only, a SIGKILL lost them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Final

from hotline.store.calllog import CallLog
from hotline.store.enums import CallDirection, CallOutcome
from hotline.store.held_spool import HeldSpool


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


# The spool's keys: a held row, end or outcome of one call (issue 21: a kill lost them).
ROW: Final = "row:"
END: Final = "end:"
OUTCOME: Final = "outcome:"


@dataclass
class Unwritten:
    """An inbound call's row as the tracker saw it, written whole once the database takes it
    (R-033: a call during a database outage is still registered, with its times)."""

    uniqueid: str
    linkedid: str | None
    channel: str | None
    caller: str | None
    callee: str | None
    simulated: bool
    started_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    hangup_cause: str | None = None
    # Found in Asterisk's channel list, not seen begin: it may be a campaign call the dialer
    # registered (then left to the dialer), which the database could not be asked about.
    adopted: bool = False
    node: str | None = None

    def to_json(self) -> dict[str, Any]:
        row = asdict(self)
        for name in ("started_at", "answered_at", "ended_at"):
            row[name] = _iso(row[name])
        return row

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Unwritten:
        for name in ("started_at", "answered_at", "ended_at"):
            row[name] = _time(row[name])
        return cls(**row)

    async def write(self, call_log: CallLog) -> None:
        if self.adopted and await call_log.get(uniqueid=self.uniqueid) is not None:
            return
        await call_log.open(
            uniqueid=self.uniqueid,
            direction=CallDirection.INBOUND,
            started_at=self.started_at,
            linkedid=self.linkedid,
            channel=self.channel,
            caller=self.caller,
            callee=self.callee,
            simulated=self.simulated,
            node=self.node,
        )
        if self.answered_at is not None:
            await call_log.answered(self.uniqueid, at=self.answered_at)
        if self.ended_at is not None:
            await call_log.ended(
                self.uniqueid,
                at=self.ended_at,
                hangup_cause=self.hangup_cause,
                outcome=CallOutcome.ABANDONED,
            )


Ends = dict[str, tuple[datetime, str | None]]


async def load_held(
    spool: HeldSpool,
) -> tuple[dict[str, Unwritten], Ends, dict[str, CallOutcome]]:
    """What an earlier run spooled and did not write: rows, ends, outcomes, in spool order."""
    rows: dict[str, Unwritten] = {}
    ends: Ends = {}
    outcomes: dict[str, CallOutcome] = {}
    for key, payload in await spool.entries():
        kind, _, uniqueid = key.partition(":")
        kind += ":"
        if kind == ROW:
            rows[uniqueid] = Unwritten.from_json(payload)
        elif kind == END:
            ends[uniqueid] = (datetime.fromisoformat(payload["at"]), payload["cause"])
        elif kind == OUTCOME:
            outcomes[uniqueid] = CallOutcome(payload["outcome"])
    return rows, ends, outcomes
