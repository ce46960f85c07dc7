"""What supervisors read: live status, why contacts are not being dialled, and the report
(positive and negative per reason, per attempt, per contact; as sheets for
``hotline.core.spreadsheets``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dialer.model import CampaignState, TargetState
from dialer.repository import CampaignRecord, DialerStore
from dialer.window import window_for
from hotline.core.spreadsheets import Cell, Sheet


@dataclass
class Status:
    campaign: CampaignRecord
    targets: int = 0
    done: int = 0
    calling: int = 0
    pending: int = 0
    retries_pending: int = 0  # pending after at least one attempt
    positive: int = 0
    negative: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    attempts: int = 0
    estimated_finish: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign.name,
            "state": self.campaign.state.value,
            "targets": self.targets,
            "done": self.done,
            "calling": self.calling,
            "pending": self.pending,
            "retries_pending": self.retries_pending,
            "positive": self.positive,
            "negative": self.negative,
            "by_reason": dict(self.by_reason),
            "attempts": self.attempts,
            "estimated_finish": self.estimated_finish.isoformat()
            if self.estimated_finish
            else None,
        }


async def status(store: DialerStore, name: str, now: datetime) -> Status:
    campaign = await store.campaign(name)
    result = Status(campaign)
    for state, verdict, reason, count in await store.target_counts(campaign.id):
        result.targets += count
        if state == TargetState.DONE:
            result.done += count
            if verdict == "positive":
                result.positive += count
            else:
                result.negative += count
            result.by_reason[f"{verdict}:{reason}"] += count
        elif state == TargetState.CALLING:
            result.calling += count
        else:
            result.pending += count
            if reason is not None:
                result.retries_pending += count
    result.attempts = sum(c for _n, _s, _r, c in await store.attempt_counts(campaign.id))
    started = campaign.started_at
    if campaign.state is CampaignState.RUNNING and started and result.done:
        elapsed = (now - started).total_seconds()
        remaining = result.pending + result.calling
        if elapsed > 0:
            result.estimated_finish = now + timedelta(seconds=elapsed / result.done * remaining)
    return result


async def why(
    store: DialerStore, name: str, now: datetime, trunk_channels: int
) -> list[tuple[str, int, str]]:
    """(explanation, contacts, earliest time) rows: why contacts wait right now."""
    campaign = await store.campaign(name)
    if campaign.state in (CampaignState.DRAFT, CampaignState.APPROVED):
        reason = (
            "not approved (a user other than the author must approve it)"
            if campaign.state is CampaignState.DRAFT
            else "approved but not started"
        )
        return [(reason, 0, "")]
    if campaign.state is not CampaignState.RUNNING:
        return [(f"campaign is {campaign.state.value}", 0, "")]
    rows: Counter[str] = Counter()
    earliest: dict[str, datetime] = {}
    if campaign.starts_at is not None and now < campaign.starts_at:
        return [("campaign starts later", 0, campaign.starts_at.isoformat())]
    counts = await store.inflight_counts()
    total = sum(counts.values())
    dnc = await store.dnc_numbers()
    for target in await store.targets_detail(campaign.id):
        if target["state"] != TargetState.PENDING:
            continue
        next_at = (
            datetime.fromisoformat(target["next_attempt_at"])
            if target["next_attempt_at"]
            else None
        )
        if target["phone"] in dnc:
            key = "on the do-not-call list (closed at the next tick)"
        elif next_at is not None and next_at > now:
            key = target["waiting"] or "waiting"
            key = f"waiting until a time: {key}"
        else:
            window = window_for(campaign.rules, target["timezone"])
            if not window.is_open(now):
                key = window.why_closed(now)
                next_at = window.next_open(now)
            elif counts.get(campaign.id, 0) >= campaign.rules.max_channels:
                key = f"campaign channel cap reached ({campaign.rules.max_channels})"
            elif total >= trunk_channels:
                key = f"trunk channel cap reached ({trunk_channels})"
            else:
                key = "due now (next dispatcher tick; calls-per-second cap)"
        rows[key] += 1
        if next_at is not None and (key not in earliest or next_at < earliest[key]):
            earliest[key] = next_at
    return [
        (key, count, earliest[key].isoformat() if key in earliest else "")
        for key, count in rows.most_common()
    ]


REPORT_SHEETS = ("summary", "attempts", "contacts")


async def report_rows(store: DialerStore, name: str) -> dict[str, list[dict[str, Any]]]:
    campaign = await store.campaign(name)
    summary = [
        {"state": s, "result": r or "", "reason": why or "", "contacts": n}
        for s, r, why, n in sorted(
            await store.target_counts(campaign.id), key=lambda row: tuple(map(str, row))
        )
    ]
    per_attempt = [
        {"attempt": n, "status": s, "reason": r or "", "count": c}
        for n, s, r, c in sorted(
            await store.attempt_counts(campaign.id), key=lambda row: tuple(map(str, row))
        )
    ]
    return {
        "summary": summary,
        "per_attempt": per_attempt,
        "attempts": await store.attempts_detail(campaign.id),
        "contacts": await store.targets_detail(campaign.id),
    }


def report_sheets(sheets: dict[str, list[dict[str, Any]]]) -> list[Sheet]:
    """The campaign report as ``hotline.core.spreadsheets`` sheets (Russian-Excel CSV and XLSX)."""
    out = []
    for title, rows in sheets.items():
        columns = tuple(rows[0]) if rows else ("-",)
        values = tuple(tuple(_cell(row[c]) for c in columns) for row in rows)
        out.append(Sheet(title, columns, values))
    return out


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float | Decimal | date | datetime):
        return value
    return str(value)


@dataclass(frozen=True)
class HourResults:
    start: datetime  # local, the start of the hour
    attempts: int
    positive: int
    negative: int


def hourly(attempts: list[dict[str, Any]], zone: ZoneInfo) -> list[HourResults]:
    """Attempts per local hour with their results (``attempts_detail`` rows), for the chart."""
    hours: dict[datetime, Counter[str]] = {}
    for row in attempts:
        at = datetime.fromisoformat(row["created_at"]).astimezone(zone)
        hour = at.replace(minute=0, second=0, microsecond=0)
        counts = hours.setdefault(hour, Counter())
        counts["attempts"] += 1
        if row["result"] in ("positive", "negative"):
            counts[row["result"]] += 1
    return [
        HourResults(hour, c["attempts"], c["positive"], c["negative"])
        for hour, c in sorted(hours.items())
    ]
