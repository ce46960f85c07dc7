"""Voice quality per call (issue 17 item 8; R-135 watches R-132 and R-133).  At the end of
each SIP leg of a call (the caller's inbound leg, each operator's phone, a campaign callee's
trunk leg) the dialplan's hangup handler sends Asterisk's RTP statistics of the channel
(``CHANNEL(rtcp,all)``, the RTPAUDIOQOS format) as a UserEvent naming the leg; the tracker
stores them per leg, with the call they belong to (the leg's linkedid) and the thresholds
they pass (loss, jitter, delay); the daily report lists the legs flagged."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Final, Self
from zoneinfo import ZoneInfo

from hotline.core.clock import utc_now
from hotline.dialplan.names import QUALITY_EVENT, QUALITY_LEG_HEADER, QualityLeg
from hotline.protocol.ami import AmiEvent
from hotline.settings.desk import QualitySettings
from hotline.store.db import Database
from hotline.store.quality import CallQualityStore, QualityRecord
from hotline.transport.ami import Subscription, consume_batches, user_event

if TYPE_CHECKING:
    from hotline.settings import Settings

log = logging.getLogger(__name__)

# The header of QUALITY_EVENT with the statistics.
QUALITY_HEADER: Final = "quality"
# Measurements stored in one transaction at most (the events queued when the tracker looks).
BATCH: Final = 500
# How long the measurements after a batch's first join it: a burst of hang-ups reaches the
# engine over a second or so, and stored as each came it was a transaction a hang-up (issue 19
# item 1).  Statistics only: nobody waits for the row.
LINGER_SECONDS: Final = 0.25
USER_EVENT: Final = "UserEvent"
# What the tracker subscribes to: the quality UserEvents alone.
QUALITY_EVENTS: Final = (user_event(QUALITY_EVENT),)


class QualityProblem(StrEnum):
    LOSS = "loss"  # over quality.max_loss
    JITTER = "jitter"  # over quality.max_jitter_ms
    DELAY = "delay"  # half the round trip over quality.max_delay_ms


def _number(fields: dict[str, str], key: str) -> float:
    try:
        return float(fields.get(key, "0") or 0)
    except ValueError:
        return 0.0


def parse_quality(text: str) -> dict[str, float] | None:
    """``ssrc=..;themssrc=..;lp=..;rxjitter=..;rxcount=..;txjitter=..;txcount=..;rlp=..;
    rtt=..`` as numbers (jitter and rtt in seconds, as Asterisk gives them); None when the
    text carries no packet counts (no RTP on the channel)."""
    fields = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
    if "rxcount" not in fields and "txcount" not in fields:
        return None
    keys = ("lp", "rxjitter", "rxcount", "txjitter", "txcount", "rlp", "rtt")
    return {key: _number(fields, key) for key in keys}


def measure(
    uniqueid: str,
    channel: str | None,
    text: str,
    at: datetime,
    limits: QualitySettings,
    leg: QualityLeg = QualityLeg.CALLER,
    call_uniqueid: str = "",
) -> QualityRecord | None:
    """The leg's quality record, with the thresholds it passes (the same for every leg);
    None when it carried no audio either way (a phone that rang and was not answered); pure."""
    stats = parse_quality(text)
    if stats is None:
        return None
    rx, tx = int(stats["rxcount"]), int(stats["txcount"])
    if rx == 0 and tx == 0:
        return None
    lost, remote_lost = max(0, int(stats["lp"])), max(0, int(stats["rlp"]))
    loss = max(
        lost / (rx + lost) if rx + lost else 0.0,
        remote_lost / (tx + remote_lost) if tx + remote_lost else 0.0,
    )
    jitter_ms = max(stats["rxjitter"], stats["txjitter"]) * 1000.0
    rtt_ms = max(0.0, stats["rtt"]) * 1000.0
    problems = []
    if loss > limits.max_loss:
        problems.append(QualityProblem.LOSS.value)
    if jitter_ms > limits.max_jitter_ms:
        problems.append(QualityProblem.JITTER.value)
    if rtt_ms / 2 > limits.max_delay_ms:
        problems.append(QualityProblem.DELAY.value)
    return QualityRecord(
        at,
        uniqueid,
        channel,
        rx,
        tx,
        lost,
        remote_lost,
        round(loss, 6),
        round(jitter_ms, 3),
        round(rtt_ms, 3),
        tuple(problems),
        leg,
        call_uniqueid or uniqueid,
    )


def leg_of(event: AmiEvent) -> QualityLeg | None:
    """The leg a quality UserEvent names (none named: the caller's, as before legs were);
    None for a value we do not know."""
    value = event.get(QUALITY_LEG_HEADER) or QualityLeg.CALLER.value
    try:
        return QualityLeg(value)
    except ValueError:
        return None


class QualityTracker:
    """Stores each call's voice quality as its hangup handler reports it."""

    def __init__(
        self, events: Subscription, store: CallQualityStore, limits: QualitySettings
    ) -> None:
        self._events = events
        self._store = store
        self._limits = limits

    @classmethod
    def from_settings(cls, events: Subscription, db: Database, settings: Settings) -> Self:
        """The engine's: measurements the store refuses are held and spooled (issue 21)."""
        return cls(events, CallQualityStore.from_settings(db, settings), settings.quality)

    async def run(self) -> None:
        # Measurements the store refused (an outage), and those a killed run spooled.
        held = asyncio.create_task(self._store.write_held_rows(), name="call-quality-held")
        try:
            # A burst of hang-ups is one transaction, not one per leg (issue 19 item 1).
            await consume_batches(
                self._events, self.handle_many, "quality tracker", BATCH, LINGER_SECONDS
            )
        finally:
            held.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await held

    async def handle(self, event: AmiEvent) -> None:
        await self.handle_many([event])

    async def handle_many(self, events: list[AmiEvent]) -> None:
        """The measurements these events carry, stored together."""
        records = []
        for event in events:
            try:
                record = self._measured(event)
            except Exception:  # one garbled event: the others are still stored
                log.exception("quality tracker failed on %s", event.name)
                continue
            if record is not None:
                records.append(record)
        if records:
            await self._store.add_many(records)

    def _measured(self, event: AmiEvent) -> QualityRecord | None:
        if event.name != USER_EVENT or event.get("userevent") != QUALITY_EVENT:
            return None
        leg = leg_of(event)
        if leg is None:
            return None
        return measure(
            event.uniqueid,
            event.get("channel") or None,
            event.get(QUALITY_HEADER),
            utc_now(),
            self._limits,
            leg,
            event.linkedid,
        )


@dataclass(frozen=True)
class QualityReport:
    """One day's (or any period's) voice quality: calls measured, flagged, and the worst."""

    measured: int  # calls
    flagged: list[QualityRecord]  # legs over a threshold
    average_loss: float | None
    average_jitter_ms: float | None
    average_rtt_ms: float | None
    # Legs measured, by QualityLeg value (R-135: every leg).
    legs: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "measured": self.measured,
            "legs": self.legs,
            "flagged_count": len(self.flagged),
            "average_loss": self.average_loss,
            "average_jitter_ms": self.average_jitter_ms,
            "average_rtt_ms": self.average_rtt_ms,
            "flagged": [
                {
                    "at": r.at.isoformat(),
                    "uniqueid": r.uniqueid,
                    "call": r.call,
                    "leg": r.leg.value,
                    "loss": r.loss,
                    "jitter_ms": r.jitter_ms,
                    "rtt_ms": r.rtt_ms,
                    "problems": list(r.problems),
                }
                for r in self.flagged
            ],
        }


def quality_report(records: list[QualityRecord]) -> QualityReport:
    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 4) if values else None

    legs = Counter(r.leg.value for r in records)
    return QualityReport(
        measured=len({r.call for r in records}),
        flagged=[r for r in records if r.flagged],
        average_loss=mean([r.loss for r in records]),
        average_jitter_ms=mean([r.jitter_ms for r in records]),
        average_rtt_ms=mean([r.rtt_ms for r in records]),
        legs={leg.value: legs[leg.value] for leg in QualityLeg if legs[leg.value]},
    )


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The local day ``day`` as UTC instants [start, end)."""
    start = datetime.combine(day, time(), zone)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


async def daily_report(db: Database, day: date, zone: ZoneInfo) -> QualityReport:
    """The voice quality of the calls that ended on the local day ``day`` (R-135)."""
    start, end = day_bounds(day, zone)
    return quality_report(await CallQualityStore(db).between(start, end))
