"""Report rows: counts per result and per attempt, and every contact and attempt as a row
(``dialer.report`` shapes them into the status, the console and the downloads).

The counts are SQL aggregates over covering indexes (migration 0011), the attempts' from
their roll-ups (migration 0041); the contacts and the
attempts are streamed in chunks from a server-side cursor, so a report over a million rows
never holds them all (issue 19)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, func, literal_column, select

from dialer.model import TargetState
from hotline.store import attempt_rollups
from hotline.store.db import Database
from hotline.store.models import CampaignTarget, DialAttempt

# Rows fetched per round trip while streaming a report.
CHUNK: Final = 2_000

_TARGET_COLUMNS = (
    CampaignTarget.row,
    CampaignTarget.phone,
    CampaignTarget.state,
    CampaignTarget.result,
    CampaignTarget.reason,
    CampaignTarget.attempts,
    CampaignTarget.next_attempt_at,
    CampaignTarget.waiting,
    CampaignTarget.timezone,
    CampaignTarget.channel,
    CampaignTarget.email_status,
    CampaignTarget.sms_status,
)
_ATTEMPT_COLUMNS = (
    DialAttempt.id,
    DialAttempt.phone,
    DialAttempt.number,
    DialAttempt.status,
    DialAttempt.result,
    DialAttempt.reason,
    DialAttempt.hangup_cause,
    DialAttempt.created_at,
    DialAttempt.answered_at,
    DialAttempt.ended_at,
    DialAttempt.key_played,
    DialAttempt.confirmed,
    DialAttempt.transferred,
    DialAttempt.operator,
    DialAttempt.talk_seconds,
)


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _target(r: Any) -> dict[str, Any]:
    return {
        "row": r.row,
        "phone": r.phone,
        "state": r.state,
        "result": r.result or "",
        "reason": r.reason or "",
        "attempts": r.attempts,
        "next_attempt_at": _iso(r.next_attempt_at),
        "waiting": r.waiting or "",
        "timezone": r.timezone,
        "channel": r.channel,
        "email_status": r.email_status or "",
        "sms_status": r.sms_status or "",
    }


def _attempt(r: Any) -> dict[str, Any]:
    return {
        "attempt": r.id,
        "phone": r.phone,
        "number": r.number,
        "status": r.status,
        "result": r.result or "",
        "reason": r.reason or "",
        "hangup_cause": r.hangup_cause or "",
        "created_at": r.created_at.isoformat(),
        "answered_at": _iso(r.answered_at),
        "ended_at": _iso(r.ended_at),
        "key_played": bool(r.key_played),
        "confirmed": bool(r.confirmed),
        "transferred": bool(r.transferred),
        "operator": r.operator or "",
        "talk_seconds": r.talk_seconds,
    }


class ReportRows:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def target_counts(
        self, campaign_id: int
    ) -> list[tuple[str, str | None, str | None, int]]:
        """(state, result, reason, count) rows."""
        async with self._db.session() as session:
            rows = await session.execute(
                select(
                    CampaignTarget.state,
                    CampaignTarget.result,
                    CampaignTarget.reason,
                    func.count(),
                )
                .where(CampaignTarget.campaign_id == campaign_id)
                .group_by(CampaignTarget.state, CampaignTarget.result, CampaignTarget.reason)
            )
            return [(s, r, why, n) for s, r, why, n in rows]

    async def open_attempts(self, campaign_id: int) -> tuple[int, int]:
        """(contacts not done, attempts they have had): what the expected finish counts."""
        async with self._db.session() as session:
            row = (
                await session.execute(
                    select(func.count(), func.coalesce(func.sum(CampaignTarget.attempts), 0))
                    .where(CampaignTarget.campaign_id == campaign_id)
                    .where(CampaignTarget.state != TargetState.DONE.value)
                )
            ).one()
            return int(row[0]), int(row[1])

    async def attempt_counts(self, campaign_id: int) -> list[tuple[int, str, str | None, int]]:
        """(attempt number, status, reason, count) rows, summed from the roll-ups where
        rolled (``hotline.store.attempt_rollups``)."""
        return await attempt_rollups.attempt_counts(self._db, campaign_id)

    async def attempt_minutes(self, campaign_id: int) -> list[tuple[datetime, str | None, int]]:
        """(UTC moment, result, attempts) rows for the hourly chart: the rolled buckets'
        counts at their quarter-hour's start, the rest counted per minute they were created
        in (every time zone's offset is whole quarter-hours, so the caller folds both into
        local hours exactly)."""
        minute = self._minute(DialAttempt.created_at)
        rows = await attempt_rollups.attempt_buckets(self._db, campaign_id, minute)
        return [(self._as_minute(m), r, int(c)) for m, r, c in rows]

    def _minute(self, column: Any) -> ColumnElement[Any]:
        if self._db.engine.dialect.name == "sqlite":
            # Stored as naive UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]".  The same expression,
            # constants inlined, as the index ix_dial_attempts_minute (migration 0011).
            return func.substr(column, literal_column("1"), literal_column("16"))
        return func.date_trunc("minute", column)

    @staticmethod
    def _as_minute(value: Any) -> datetime:
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        assert isinstance(value, datetime)
        return value.astimezone(UTC)

    async def iter_targets(self, campaign_id: int) -> AsyncIterator[list[dict[str, Any]]]:
        """The campaign's contacts in list order, in chunks of up to ``CHUNK`` rows."""
        query = (
            select(*_TARGET_COLUMNS)
            .where(CampaignTarget.campaign_id == campaign_id)
            .order_by(CampaignTarget.row)
        )
        async with self._db.engine.connect() as conn:
            result = await conn.stream(query.execution_options(yield_per=CHUNK))
            async for part in result.partitions(CHUNK):
                yield [_target(r) for r in part]

    async def iter_attempts(self, campaign_id: int) -> AsyncIterator[list[dict[str, Any]]]:
        """The campaign's attempts in time order, in chunks of up to ``CHUNK`` rows."""
        query = (
            select(*_ATTEMPT_COLUMNS)
            .where(DialAttempt.campaign_id == campaign_id)
            .order_by(DialAttempt.created_at, DialAttempt.id)
        )
        async with self._db.engine.connect() as conn:
            result = await conn.stream(query.execution_options(yield_per=CHUNK))
            async for part in result.partitions(CHUNK):
                yield [_attempt(r) for r in part]

    async def targets_detail(self, campaign_id: int) -> list[dict[str, Any]]:
        return [row async for part in self.iter_targets(campaign_id) for row in part]

    async def attempts_detail(self, campaign_id: int) -> list[dict[str, Any]]:
        return [row async for part in self.iter_attempts(campaign_id) for row in part]
