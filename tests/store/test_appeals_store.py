"""The appeal register on SQLite and PostgreSQL: numbers unique per year without races, the
status history with illegal moves refused, personal data masked and every view audited
(R-113-R-123, R-139, R-149)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from hotline.appeals.model import AppealError, NotConsidered
from hotline.appeals.register import AppealRequest, Appeals, Viewer
from hotline.settings import AppealSettings
from hotline.store.appeals import AppealFilter
from hotline.store.audit import Actor
from hotline.store.calendar import OverrideStore
from hotline.store.db import Database
from hotline.store.enums import AppealChannel, AppealLinkKind, AppealStatus, ReplyChannel
from hotline.store.models import AuditEntry

ANNA = Actor("anna", "web", "127.0.0.1")
SUPERVISOR = Viewer(ANNA, personal_data=True, trust=False)
OPERATOR = Viewer(Actor("oleg", "web"), personal_data=False, trust=False)
SECURITY = Viewer(Actor("sergey", "web"), personal_data=True, trust=True)
# Fri 2026-05-08 12:00 in Krasnoyarsk.
FRIDAY = datetime(2026, 5, 8, 5, 0, tzinfo=UTC)


def request(**changes: object) -> AppealRequest:
    base: dict[str, object] = {
        "channel": AppealChannel.OPERATOR,
        "category": "complaint",
        "topic": "quality",
        "subject": "Скачки напряжения",
        "text": "Каждый вечер мигает свет",
        "account": "100000000003",
        "phone": "+79001234567",
        "customer_name": "Иванов Иван",
        "reply_channel": ReplyChannel.SMS,
        "call_id": "1764000000.1",
    }
    base.update(changes)
    return AppealRequest(**base)  # type: ignore[arg-type]


async def appeals(db: Database) -> Appeals:
    await db.upgrade()
    return Appeals(db, AppealSettings(), "Asia/Krasnoyarsk")


async def test_register_numbers_deadline_links(db: Database) -> None:
    register = await appeals(db)
    first = await register.register(request(), ANNA, at=FRIDAY)
    second = await register.register(request(category="claim", topic="bills"), ANNA, at=FRIDAY)
    assert (first.number, second.number) == ("2026-000001", "2026-000002")
    assert first.status is AppealStatus.REGISTERED and first.unit == "network"
    # complaint/quality: 3 working days after Fri 8 May (9-11 May are days off).
    assert first.deadline == date(2026, 5, 14)
    # claim: the default, 30 calendar days.
    assert second.deadline == date(2026, 6, 7)
    assert first.links == ((AppealLinkKind.CALL, "1764000000.1"),)
    assert [e.status for e in first.history] == [AppealStatus.REGISTERED]
    next_year = await register.register(
        request(), ANNA, at=datetime(2027, 1, 11, 5, 0, tzinfo=UTC)
    )
    assert next_year.number == "2027-000001"


async def test_a_closed_day_moves_the_deadline(db: Database) -> None:
    register = await appeals(db)
    await OverrideStore(db).put(date(2026, 5, 12), "", "regional day off", "anna")
    found = await register.register(request(), ANNA, at=FRIDAY)
    assert found.deadline == date(2026, 5, 15)


async def test_concurrent_registrations_get_distinct_numbers(db: Database) -> None:
    register = await appeals(db)
    made = await asyncio.gather(
        *(register.register(request(), ANNA, at=FRIDAY) for _ in range(12))
    )
    assert sorted(a.number for a in made) == [f"2026-{n:06d}" for n in range(1, 13)]


async def test_history_and_illegal_moves(db: Database) -> None:
    register = await appeals(db)
    number = (await register.register(request(), ANNA, at=FRIDAY)).number
    with pytest.raises(AppealError, match="cannot become closed"):
        await register.close(number, SUPERVISOR)
    await register.hand_over(number, "billing", SUPERVISOR, "по счёту")
    await register.start(number, SUPERVISOR)
    answered = await register.answer(number, SUPERVISOR, "напряжение восстановлено")
    assert answered.answered_at is not None
    with pytest.raises(AppealError, match="say why"):
        await register.reopen(number, SUPERVISOR, " ")
    reopened = await register.reopen(number, SUPERVISOR, "клиент не согласен с решением")
    assert reopened.status is AppealStatus.REOPENED
    closed = await register.not_considered(number, NotConsidered.REPEATED, SUPERVISOR)
    assert closed.close_reason == "repeated" and closed.closed_at is not None
    assert [e.status for e in closed.history] == [
        AppealStatus.REGISTERED,
        AppealStatus.HANDED_OVER,
        AppealStatus.IN_PROGRESS,
        AppealStatus.ANSWERED,
        AppealStatus.REOPENED,
        AppealStatus.NOT_CONSIDERED,
    ]
    assert closed.history[1].unit == "billing" and closed.unit == "billing"
    with pytest.raises(AppealError, match="unknown unit"):
        await register.hand_over(number, "nowhere", SUPERVISOR)


async def test_personal_data_masked_and_views_audited(db: Database) -> None:
    register = await appeals(db)
    number = (await register.register(request(), ANNA, at=FRIDAY)).number
    shown = await register.view(number, OPERATOR)
    assert shown is not None
    assert shown.phone == "••••••••••67" and shown.account == "••••••••••03"
    assert "Иван" not in (shown.customer_name or "") and shown.text == "•••"
    full = await register.view(number, SUPERVISOR)
    assert full is not None and full.phone == "+79001234567"
    listed = await register.list(AppealFilter(), OPERATOR)
    assert [a.phone for a in listed] == ["••••••••••67"]
    async with db.session() as session:
        actions = [
            (e.actor, e.action, e.target)
            for e in await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
    assert actions == [
        ("anna", "appeal.register", number),
        ("oleg", "appeal.view", number),
        ("anna", "appeal.view", number),
        ("oleg", "appeal.list", None),
    ]


async def test_trust_service_appeals_only_for_their_unit(db: Database) -> None:
    register = await appeals(db)
    trust = await register.register(request(topic="trust"), ANNA, at=FRIDAY)
    other = await register.register(request(), ANNA, at=FRIDAY)
    assert trust.unit == "security"
    assert await register.view(trust.number, SUPERVISOR) is None
    assert [a.number for a in await register.list(AppealFilter(), SUPERVISOR)] == [other.number]
    assert {a.number for a in await register.list(AppealFilter(), SECURITY)} == {
        trust.number,
        other.number,
    }
    with pytest.raises(AppealError, match="no appeal"):
        await register.hand_over(trust.number, "billing", SUPERVISOR)
    with pytest.raises(AppealError, match="Security Service"):
        await register.hand_over(trust.number, "billing", SECURITY)


async def test_counts_in_time_and_overdue(db: Database) -> None:
    register = await appeals(db)
    late = await register.register(request(), ANNA, at=FRIDAY)
    on_time = await register.register(request(category="claim", topic="bills"), ANNA, at=FRIDAY)
    await register.answer(on_time.number, SUPERVISOR)
    rows = await register.counts(AppealFilter(), "category", SUPERVISOR, today=date(2026, 5, 20))
    # The complaint (due 14 May) is open and overdue on 20 May; the claim (due 7 June) was
    # answered today (the test's real clock, after June 2026): late.
    assert rows == [("claim", 1, 0, 1, 0), ("complaint", 1, 0, 0, 1)]
    assert late.deadline < date(2026, 5, 20)
