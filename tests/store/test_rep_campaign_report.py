"""The campaign report computed in SQL and streamed (issue 19, item 3) gives exactly what the
in-memory report gave: the same counts, the same rows in the same order, the same CSV bytes,
the same XLSX cells and the same hourly chart, on SQLite and PostgreSQL, over generated data
with edge cases (no result yet, ties in time, formula-like text, another campaign's rows,
time zones with DST and with a 45-minute offset), read in chunks smaller than the data."""

from __future__ import annotations

import io
import random
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

import dialer.repository.reports as report_rows_module
from dialer.model import CampaignRules
from dialer.report import (
    campaign_report,
    hourly,
    hourly_counts,
    report_chunks,
    report_csv,
    report_sheets,
    report_xlsx,
)
from dialer.repository import DialerStore
from hotline.core.spreadsheets import to_csv, to_xlsx
from hotline.store.db import Database
from hotline.store.models import CampaignTarget, DialAttempt
from tests.dialer_support import NOW, short_scenario

STATES = ("pending", "calling", "done")
RESULTS = (None, "positive", "negative")
REASONS = (None, "delivered", "busy", "no_answer", "=cmd|' /C calc'!A0", "#N/A")
STATUSES = ("dialing", "answered", "ended", "unknown")


async def _fill(store: DialerStore, db: Database, name: str, targets: int, seed: int) -> int:
    version = await store.add_scenario(name, short_scenario(), "anna", NOW)
    campaign = await store.create_campaign(name, version.id, CampaignRules(), "anna", NOW)
    pick = random.Random(seed)
    if not targets:
        return campaign.id
    async with db.session() as session:
        await session.execute(
            insert(CampaignTarget),
            [
                {
                    "campaign_id": campaign.id,
                    "contact_id": None,
                    "row": targets - i,  # list order differs from insertion order
                    "phone": f"+7913{seed}{i:06d}",
                    "timezone": pick.choice(("Europe/Moscow", "Asia/Novosibirsk")),
                    "variables": {},
                    "state": pick.choice(STATES),
                    "result": pick.choice(RESULTS),
                    "reason": pick.choice(REASONS),
                    "attempts": pick.randrange(4),
                    "next_attempt_at": pick.choice((None, NOW + timedelta(hours=1))),
                    "waiting": pick.choice((None, "window", "+1 retry")),
                    "channel": "phone",
                    "email_status": pick.choice((None, "sent")),
                }
                for i in range(targets)
            ],
        )
    async with db.session() as session:
        ids = list(
            (
                await session.execute(
                    select(CampaignTarget.id).where(CampaignTarget.campaign_id == campaign.id)
                )
            ).scalars()
        )
    # Around the 2026-11-01 DST change in New York, with ties in created_at and seconds
    # that straddle hour and minute boundaries.
    start = NOW.replace(month=11, day=1, hour=4, minute=58)
    attempts = []
    for i in range(targets * 3):
        created = start + timedelta(seconds=pick.choice((0, 1, 59, 60, 3599, 3600)) * (i // 7))
        answered = pick.choice((None, created + timedelta(seconds=5)))
        attempts.append(
            {
                "id": f"{seed:02d}{pick.getrandbits(112):030x}",
                "campaign_id": campaign.id,
                "target_id": pick.choice(ids),
                "number": 1 + pick.randrange(3),
                "phone": f"+7913{seed}{pick.randrange(targets):06d}",
                "status": pick.choice(STATUSES),
                "created_at": created,
                "answered_at": answered,
                "ended_at": answered and answered + timedelta(seconds=30),
                "result": pick.choice(RESULTS),
                "reason": pick.choice(REASONS),
                "hangup_cause": pick.choice((None, "16", "-normal")),
                "key_played": pick.random() < 0.5,
                "confirmed": pick.random() < 0.3,
                "transferred": pick.random() < 0.1,
            }
        )
    async with db.session() as session:
        await session.execute(insert(DialAttempt), attempts)
    return campaign.id


def _iso(value: Any) -> str:
    return value.isoformat() if value else ""


async def _reference(db: Database, campaign_id: int) -> dict[str, list[dict[str, Any]]]:
    """The report as it was built before: whole ORM rows in memory, counted in Python."""
    async with db.session() as session:
        targets = (
            await session.execute(
                select(CampaignTarget)
                .where(CampaignTarget.campaign_id == campaign_id)
                .order_by(CampaignTarget.row)
            )
        ).scalars()
        contacts = [
            {
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
            for r in targets
        ]
        target_counts = Counter(
            (r.state, r.result, r.reason)
            for r in (
                await session.execute(
                    select(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id)
                )
            ).scalars()
        )
        rows = list(
            (
                await session.execute(
                    select(DialAttempt)
                    .where(DialAttempt.campaign_id == campaign_id)
                    .order_by(DialAttempt.created_at, DialAttempt.id)
                )
            ).scalars()
        )
    attempts = [
        {
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
            "key_played": r.key_played,
            "confirmed": r.confirmed,
            "transferred": r.transferred,
            # Progressive campaigns (issue 22 item 2): who took the callee, for how long.
            "operator": r.operator or "",
            "talk_seconds": r.talk_seconds,
        }
        for r in rows
    ]
    attempt_counts = Counter((r.number, r.status, r.reason) for r in rows)
    summary = [
        {"state": s, "result": r or "", "reason": why or "", "contacts": n}
        for (s, r, why), n in sorted(
            target_counts.items(), key=lambda item: tuple(map(str, (*item[0], item[1])))
        )
    ]
    per_attempt = [
        {"attempt": n, "status": s, "reason": r or "", "count": c}
        for (n, s, r), c in sorted(
            attempt_counts.items(), key=lambda item: tuple(map(str, (*item[0], item[1])))
        )
    ]
    return {
        "summary": summary,
        "per_attempt": per_attempt,
        "attempts": attempts,
        "contacts": contacts,
    }


@pytest.fixture
async def store(db: Database, monkeypatch: pytest.MonkeyPatch) -> DialerStore:
    await db.upgrade()
    monkeypatch.setattr(report_rows_module, "CHUNK", 7)  # several chunks per sheet
    return DialerStore(db)


async def test_streamed_report_equals_the_in_memory_one(
    store: DialerStore, db: Database, tmp_path: Path
) -> None:
    campaign_id = await _fill(store, db, "first", 60, 1)
    await _fill(store, db, "other", 20, 2)  # must not leak into the first's report
    reference = await _reference(db, campaign_id)
    expected = report_sheets(reference)
    report = await campaign_report(store, "first")
    assert report.counts() == {k: reference[k] for k in ("summary", "per_attempt")}

    sheets: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]] = {}
    async for title, columns, rows in report_chunks(store, report):
        if title in ("attempts", "contacts"):
            assert len(rows) <= 7  # read in chunks, never whole
        sheets.setdefault(title, (columns, []))[1].extend(rows)
    assert [(s.title, s.columns, list(s.rows)) for s in expected] == [
        (title, columns, rows) for title, (columns, rows) in sheets.items()
    ]

    assert b"".join([part async for part in report_csv(store, report)]) == to_csv(expected)

    target = tmp_path / "report.xlsx"
    await report_xlsx(store, report, target)
    streamed = load_workbook(target)
    whole = load_workbook(io.BytesIO(to_xlsx(expected)))
    assert streamed.sheetnames == whole.sheetnames
    for title in whole.sheetnames:
        assert [[(c.value, c.data_type) for c in row] for row in streamed[title].rows] == [
            [(c.value, c.data_type) for c in row] for row in whole[title].rows
        ]
        assert streamed[title].freeze_panes == "A2"


async def test_empty_campaign_report(store: DialerStore, db: Database) -> None:
    campaign_id = await _fill(store, db, "empty", 0, 3)
    report = await campaign_report(store, "empty")
    expected = report_sheets(await _reference(db, campaign_id))
    assert b"".join([part async for part in report_csv(store, report)]) == to_csv(expected)


@pytest.mark.parametrize(
    "zone", ["Europe/Moscow", "America/New_York", "Asia/Kathmandu", "Australia/Eucla"]
)
async def test_hourly_chart_from_sql_counts_equals_the_rows(
    store: DialerStore, db: Database, zone: str
) -> None:
    campaign_id = await _fill(store, db, "hours", 80, 4)
    await _fill(store, db, "other", 20, 5)
    rows = (await _reference(db, campaign_id))["attempts"]
    minutes = await store.attempt_minutes(campaign_id)
    assert sum(count for _m, _r, count in minutes) == len(rows)
    assert hourly_counts(minutes, ZoneInfo(zone)) == hourly(rows, ZoneInfo(zone))
