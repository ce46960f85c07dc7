"""Readings the operator types into the customer card (issue 17, R-064): the IVR's window,
checks and storage, flagged as the operator's and audited with who took them; on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hotline.accounts.operator_readings import (
    FLAG_BY_OPERATOR,
    OUTSIDE_WINDOW,
    READING_ACTION,
    UNKNOWN,
    Taken,
    take_by_operator,
)
from hotline.accounts.reading_rules import Check
from hotline.settings import load_settings
from hotline.store.accounts import (
    FLAG_IMPLAUSIBLE,
    AccountRecord,
    AccountStore,
    MeterRecord,
    ReadingStore,
)
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database

ACCOUNT = "100000000001"
WHO = Actor("anna", "web")
# 15 November, 12:00 in Krasnoyarsk.
NOW = dt.datetime(2026, 11, 15, 5, 0, tzinfo=dt.UTC)


@pytest.fixture
async def store(db: Database) -> Database:
    await db.upgrade()
    await AccountStore(db).upsert(
        [
            AccountRecord(
                ACCOUNT,
                "Иванов Иван",
                "г. Красноярск",
                "Asia/Krasnoyarsk",
                Decimal("10.00"),
                None,
                None,
                None,
                100,
                ("79131234567",),
                (MeterRecord("M1", 1, 5, (12000,), dt.date(2026, 10, 15)),),
            )
        ]
    )
    return db


async def test_the_operators_reading_passes_the_ivrs_checks(store: Database) -> None:
    settings = load_settings()

    async def take(typed: str, *, confirmed: bool = False, zone: int = 1) -> Taken:
        taken = await take_by_operator(
            store,
            settings,
            ACCOUNT,
            "M1",
            zone,
            typed,
            confirmed=confirmed,
            call_id=None,
            by=WHO,
            now=NOW,
        )
        return taken

    assert (await take("12a")).refusal == Check.NOT_A_NUMBER
    assert (await take("123456")).refusal == Check.TOO_MANY_DIGITS  # a five-digit display
    assert (await take("11999")).refusal == Check.LOWER
    assert (await take("12100", zone=2)).refusal == UNKNOWN
    # 100 kWh a month on average: 3 x 1 month is the limit; more needs the caller's word.
    assert (await take("12400")).refusal == Check.IMPLAUSIBLE
    assert await ReadingStore(store).history(ACCOUNT) == []
    record = (await take("12400", confirmed=True)).record
    assert record is not None and record.flags == (FLAG_IMPLAUSIBLE, FLAG_BY_OPERATOR)
    plain = (await take("12250")).record
    assert plain is not None and plain.flags == (FLAG_BY_OPERATOR,)
    assert (plain.period, plain.previous) == ("2026-11", 12000)
    # The same storage as the IVR: the new one supersedes the first for the period.
    assert [r.value for r in await ReadingStore(store).current()] == [12250]
    entries = await AuditLog(store).entries(action=READING_ACTION)
    assert [(e.actor, (e.detail or {})["value"]) for e in entries] == [
        ("anna", 12250),
        ("anna", 12400),
    ]


async def test_outside_the_window_the_operator_is_refused_like_the_ivr(store: Database) -> None:
    settings = load_settings(overrides={"readings": {"window_days": "20-25"}})
    taken = await take_by_operator(
        store,
        settings,
        ACCOUNT,
        "M1",
        1,
        "12050",
        confirmed=False,
        call_id=None,
        by=WHO,
        now=NOW,
    )
    assert (taken.record, taken.refusal) == (None, OUTSIDE_WINDOW)
