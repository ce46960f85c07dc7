"""The voice quality of calls (issue 17 item 8; R-135).  Every method is its own unit of
work."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Table, insert, select

from hotline.dialplan.names import QualityLeg
from hotline.store.db import Database
from hotline.store.held_rows import HeldRows
from hotline.store.held_spool import HeldSpool
from hotline.store.models.quality import CallQuality
from hotline.store.types import as_utc

if TYPE_CHECKING:
    from hotline.settings import Settings

# The quality tracker's spool of measurements the store refused (issue 21).
SPOOL: Final = "call-quality"
_QUALITY: Final[Table] = CallQuality.__table__  # type: ignore[assignment]
_INSERT: Final = insert(_QUALITY)


@dataclass(frozen=True)
class QualityRecord:
    at: datetime
    uniqueid: str
    channel: str | None
    rx_packets: int
    tx_packets: int
    lost: int
    remote_lost: int
    loss: float
    jitter_ms: float
    rtt_ms: float
    problems: tuple[str, ...]
    # Which SIP leg, and the call it belongs to (its linkedid; empty: the leg's own).
    leg: QualityLeg = QualityLeg.CALLER
    call_uniqueid: str = ""

    @property
    def call(self) -> str:
        """The uniqueid of the call the leg belongs to."""
        return self.call_uniqueid or self.uniqueid

    @property
    def flagged(self) -> bool:
        return bool(self.problems)


def _record(r: CallQuality) -> QualityRecord:
    return QualityRecord(
        r.at,
        r.uniqueid,
        r.channel,
        r.rx_packets,
        r.tx_packets,
        r.lost,
        r.remote_lost,
        r.loss,
        r.jitter_ms,
        r.rtt_ms,
        tuple(p for p in r.problems.split(",") if p),
        r.leg,
        r.call_uniqueid,
    )


def _row(record: QualityRecord) -> dict[str, Any]:
    """The table's values of one measurement."""
    return {
        "at": as_utc(record.at),
        "uniqueid": record.uniqueid,
        "channel": record.channel,
        "rx_packets": record.rx_packets,
        "tx_packets": record.tx_packets,
        "lost": record.lost,
        "remote_lost": record.remote_lost,
        "loss": record.loss,
        "jitter_ms": record.jitter_ms,
        "rtt_ms": record.rtt_ms,
        "flagged": record.flagged,
        "problems": ",".join(record.problems),
        "leg": record.leg,
        "call_uniqueid": record.call,
    }


def _to_json(record: QualityRecord) -> dict[str, Any]:
    return {**asdict(record), "at": record.at.isoformat(), "leg": record.leg.value}


def _from_json(row: dict[str, Any]) -> QualityRecord:
    at, leg = datetime.fromisoformat(row.pop("at")), QualityLeg(row.pop("leg"))
    return QualityRecord(at=at, leg=leg, **{**row, "problems": tuple(row["problems"])})


class CallQualityStore:
    def __init__(self, db: Database, spool: HeldSpool | None = None) -> None:
        """With a ``spool``, a measurement the store refuses is held (spooled) and written
        once it is back by :meth:`write_held_rows`, the quality tracker's task (issue 21)."""
        self._db = db
        self._held = HeldRows(
            "call quality row", spool, self._insert, _to_json, _from_json, self._insert_many
        )

    @classmethod
    def from_settings(cls, db: Database, settings: Settings) -> CallQualityStore:
        """The quality tracker's: refused measurements held and spooled (``held_writes``)."""
        return cls(db, HeldSpool.from_settings(settings, SPOOL))

    @property
    def held(self) -> int:
        return self._held.held

    async def write_held_rows(self) -> None:
        """Write held measurements, and at start what an earlier run spooled; until cancelled."""
        await self._held.run()

    async def add(self, record: QualityRecord) -> None:
        await self._held.add(record)

    async def add_many(self, records: list[QualityRecord]) -> None:
        """Several legs' measurements in one transaction (a burst of hang-ups), held together
        when the store refuses them."""
        await self._held.add_many(records)

    async def _insert_many(self, records: list[QualityRecord]) -> None:
        async with self._db.session() as session:
            await session.execute(_INSERT, [_row(record) for record in records])

    async def _insert(self, record: QualityRecord, again: bool) -> None:
        """One leg's measurement; ``again``: written before, maybe (replayed): not twice."""
        async with self._db.session() as session:
            if again:
                found = await session.scalar(
                    select(CallQuality.id).where(
                        CallQuality.uniqueid == record.uniqueid,
                        CallQuality.leg == record.leg,
                        CallQuality.at == as_utc(record.at),
                    )
                )
                if found is not None:
                    return
            # A Core INSERT, not an entity added: no unit of work to flush for one row per
            # hang-up (issue 19 item 1).  Built once: built per row, SQLAlchemy made a new
            # cache key for each.
            await session.execute(_INSERT, _row(record))

    async def between(self, start: datetime, end: datetime) -> list[QualityRecord]:
        query = (
            select(CallQuality)
            .where(CallQuality.at >= as_utc(start), CallQuality.at < as_utc(end))
            .order_by(CallQuality.at, CallQuality.id)
        )
        async with self._db.session() as session:
            return [_record(r) for r in await session.scalars(query)]

    async def flagged_among(
        self, uniqueids: list[str]
    ) -> dict[str, list[tuple[QualityLeg, tuple[str, ...]]]]:
        """The flagged legs of those of the calls ``uniqueids`` that have one, with their
        problems (the call list's marks)."""
        if not uniqueids:
            return {}
        query = (
            select(CallQuality)
            .where(CallQuality.call_uniqueid.in_(uniqueids), CallQuality.flagged.is_(True))
            .order_by(CallQuality.at, CallQuality.id)
        )
        found: dict[str, list[tuple[QualityLeg, tuple[str, ...]]]] = {}
        async with self._db.session() as session:
            for row in await session.scalars(query):
                record = _record(row)
                found.setdefault(record.call, []).append((record.leg, record.problems))
        return found
