"""Report rows: counts per result and per attempt, and every contact and attempt as a row
(``dialer.report`` shapes them into the status, the console and the downloads)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from hotline.store.db import Database
from hotline.store.models import CampaignTarget, DialAttempt


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

    async def attempt_counts(self, campaign_id: int) -> list[tuple[int, str, str | None, int]]:
        """(attempt number, status, reason, count) rows."""
        async with self._db.session() as session:
            rows = await session.execute(
                select(DialAttempt.number, DialAttempt.status, DialAttempt.reason, func.count())
                .where(DialAttempt.campaign_id == campaign_id)
                .group_by(DialAttempt.number, DialAttempt.status, DialAttempt.reason)
            )
            return [(n, s, r, c) for n, s, r, c in rows]

    async def targets_detail(self, campaign_id: int) -> list[dict[str, Any]]:
        async with self._db.session() as session:
            rows = (
                await session.execute(
                    select(CampaignTarget)
                    .where(CampaignTarget.campaign_id == campaign_id)
                    .order_by(CampaignTarget.row)
                )
            ).scalars()
            return [
                {
                    "row": r.row,
                    "phone": r.phone,
                    "state": r.state,
                    "result": r.result or "",
                    "reason": r.reason or "",
                    "attempts": r.attempts,
                    "next_attempt_at": r.next_attempt_at.isoformat() if r.next_attempt_at else "",
                    "waiting": r.waiting or "",
                    "timezone": r.timezone,
                    "channel": r.channel,
                    "email_status": r.email_status or "",
                }
                for r in rows
            ]

    async def attempts_detail(self, campaign_id: int) -> list[dict[str, Any]]:
        async with self._db.session() as session:
            rows = (
                await session.execute(
                    select(DialAttempt)
                    .where(DialAttempt.campaign_id == campaign_id)
                    .order_by(DialAttempt.created_at, DialAttempt.id)
                )
            ).scalars()
            return [
                {
                    "attempt": r.id,
                    "phone": r.phone,
                    "number": r.number,
                    "status": r.status,
                    "result": r.result or "",
                    "reason": r.reason or "",
                    "hangup_cause": r.hangup_cause or "",
                    "created_at": r.created_at.isoformat(),
                    "answered_at": r.answered_at.isoformat() if r.answered_at else "",
                    "ended_at": r.ended_at.isoformat() if r.ended_at else "",
                    "key_played": r.key_played,
                    "confirmed": r.confirmed,
                    "transferred": r.transferred,
                }
                for r in rows
            ]
