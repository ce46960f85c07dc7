"""Webhook events (issue 22 item 4) on SQLite and PostgreSQL: each cause (a reading stored,
an appeal registered / answered / closed, an inbound call's end, a campaign attempt's end)
writes exactly one event in its own transaction, and an event exists only when its cause
was committed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dialer.model import AttemptStatus, Reason, Result
from dialer.repository import DialerStore
from hotline.appeals.register import Appeals
from hotline.protocol.webhooks import WebhookKind, decode
from hotline.settings import AppealSettings
from hotline.store import accounts as accounts_module
from hotline.store.accounts import ReadingDraft, ReadingStore
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome, EventKind
from hotline.store.models import WebhookEventRow
from hotline.store.webhooks import WebhookStore, on_commit
from tests.dialer_support import NOW, running_campaign
from tests.store.test_appeals_store import ANNA, FRIDAY, SUPERVISOR, request

READING = ReadingDraft("c1", "100000000001", "M1", 1, "2026-11", 12400, 12345)


async def bodies(db: Database) -> list[dict[str, Any]]:
    from sqlalchemy import select

    async with db.session() as session:
        rows = await session.scalars(select(WebhookEventRow).order_by(WebhookEventRow.id))
        return [json.loads(row.body) for row in rows]


async def test_a_reading_and_an_appeal_write_their_events(db: Database) -> None:
    await db.upgrade()
    woken: list[int] = []
    remove = on_commit(lambda: woken.append(1))
    try:
        stored = await ReadingStore(db).submit(READING, at=NOW)
    finally:
        remove()
    assert woken == [1]  # the outbox is woken after the commit
    register = Appeals(db, AppealSettings(), "Asia/Krasnoyarsk")
    number = (await register.register(request(), ANNA, at=FRIDAY)).number
    await register.hand_over(number, "billing", SUPERVISOR, "по счёту")  # no event
    await register.start(number, SUPERVISOR)  # no event
    await register.answer(number, SUPERVISOR, "ответ дан")
    await register.close(number, SUPERVISOR)

    events = await bodies(db)
    assert [e["kind"] for e in events] == [
        "reading.stored",
        "appeal.registered",
        "appeal.answered",
        "appeal.closed",
    ]
    reading = events[0]
    assert reading["version"] == 1 and len(reading["id"]) == 32
    assert reading["data"]["reading_id"] == stored.id
    assert (reading["data"]["account"], reading["data"]["value"]) == ("100000000001", 12400)
    assert reading["data"]["consumption"] == 55
    assert events[1]["data"]["number"] == number
    assert events[1]["data"]["phone"] == "+79001234567"
    assert events[3]["data"]["status"] == "closed"
    for event in events:  # every stored body is a valid payload
        assert decode(json.dumps(event)).kind.value == event["kind"]


async def test_an_event_exists_only_when_its_cause_was_committed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await db.upgrade()
    woken: list[int] = []
    remove = on_commit(lambda: woken.append(1))

    def broken(_row: object) -> object:
        raise RuntimeError("after the event was added, before the commit")

    monkeypatch.setattr(accounts_module, "_reading_record", broken)
    try:
        with pytest.raises(RuntimeError):
            await ReadingStore(db).submit(READING, at=NOW)
    finally:
        remove()
    assert await ReadingStore(db).history("100000000001") == []
    assert await bodies(db) == []
    assert woken == []  # nothing committed: the outbox is not woken


async def test_an_inbound_call_end_is_one_event_with_its_path(db: Database) -> None:
    await db.upgrade()
    log = CallLog(db)
    await log.open(uniqueid="u1", direction=CallDirection.INBOUND, caller="+79131234567")
    await log.note("u1", EventKind.NODE, "root")
    await log.note("u1", EventKind.ACCOUNT, "100000000001")
    await log.note("u1", EventKind.NODE, "readings")
    await log.note("u1", EventKind.QUEUE, "hotline")
    await log.set_outcome("u1", CallOutcome.OPERATOR)
    await log.ended("u1", at=NOW, hangup_cause="16", outcome=CallOutcome.ABANDONED)
    await log.ended("u1", at=NOW, hangup_cause="17", outcome=CallOutcome.ABANDONED)  # repeated
    # Outbound calls in the log are reported by their campaign attempt, not here.
    await log.open(uniqueid="o1", direction=CallDirection.OUTBOUND, callee="+79131234568")
    await log.ended("o1", at=NOW)

    (event,) = await bodies(db)
    assert event["kind"] == WebhookKind.CALL_INBOUND_ENDED.value
    data = event["data"]
    assert data["ivr_path"] == ["root", "readings"]
    assert data["accounts"] == ["100000000001"]
    assert (data["queue"], data["outcome"], data["hangup_cause"]) == ("hotline", "operator", "16")
    assert data["phone"] == "+79131234567"
    stored = await log.get(uniqueid="u1")
    assert stored is not None and stored.hangup_cause == "16"


async def test_a_call_ended_with_no_outcome_gets_the_given_one(db: Database) -> None:
    await db.upgrade()
    log = CallLog(db)
    await log.open(uniqueid="u2", direction=CallDirection.INBOUND, caller="+79131234567")
    await log.ended("u2", at=NOW, outcome=CallOutcome.ABANDONED)
    (event,) = await bodies(db)
    assert event["data"]["outcome"] == "abandoned"


async def test_a_campaign_attempt_end_is_one_event(db: Database, tmp_path: Path) -> None:
    await db.upgrade()
    store = DialerStore(db)
    campaign = await running_campaign(store, tmp_path, ["+79131234561"])
    (due,) = await store.due_targets(campaign.id, NOW, limit=10)
    await store.begin_attempt(due, "a1", NOW)
    end = {
        "status": AttemptStatus.ENDED,
        "result": Result.NEGATIVE,
        "reason": Reason.BUSY,
        "cause": "17",
        "now": NOW,
        "retry_at": None,
        "final": True,
    }
    assert await store.end_attempt("a1", **end)  # type: ignore[arg-type]
    assert not await store.end_attempt("a1", **end)  # type: ignore[arg-type]
    (event,) = await bodies(db)
    assert event["kind"] == WebhookKind.CALL_OUTBOUND_ENDED.value
    data = event["data"]
    assert (data["attempt_id"], data["campaign_id"], data["phone"]) == (
        "a1",
        campaign.id,
        "+79131234561",
    )
    assert (data["result"], data["reason"], data["final"]) == ("negative", "busy", True)


async def test_backlog_counts_events_not_fanned_out(db: Database) -> None:
    await db.upgrade()
    await ReadingStore(db).submit(READING, at=NOW)
    (backlog,) = await WebhookStore(db).backlog(["billing"])
    assert (backlog.pending, backlog.dead, backlog.delivered) == (1, 0, 0)


async def test_housekeeping_keeps_dead_and_pending_events(db: Database) -> None:
    from datetime import timedelta

    from hotline.contact_center.housekeeping import Housekeeping
    from hotline.settings import Settings, WebhookSettings

    await db.upgrade()
    store = WebhookStore(db)
    readings = ReadingStore(db)
    for n in range(4):
        draft = ReadingDraft(None, "100000000001", "M1", 1, f"2026-0{n + 1}", 100 + n, 100)
        await readings.submit(draft, at=NOW - timedelta(days=40))
    await store.fan_out({"billing": ()}, NOW)
    delivered, dead, pending, _left = await store.heads("billing", 10)
    await store.mark_delivered(delivered.id, NOW)
    await store.mark_dead(dead.id, "HTTP 500", NOW)
    await store.mark_retry(pending.id, "HTTP 500", NOW)
    await readings.submit(READING, at=NOW)  # recent, not fanned out
    endpoint = {"name": "billing", "url": "http://127.0.0.1:1/", "secret_env": "B"}
    settings = Settings(webhooks=WebhookSettings.model_validate({"endpoints": [endpoint]}))
    jobs = Housekeeping(settings, None, store)  # type: ignore[arg-type]
    assert await jobs.purge_webhooks() == 1  # only the delivered one
    left = [d.event_id for d in await store.deliveries("billing")]
    assert delivered.event_id not in left and dead.event_id in left
    assert len(await store.events()) == 4
    # With no endpoint configured, old events no endpoint wanted go too.
    assert await store.purge(NOW + timedelta(days=1), unfanned=True) == 1
    assert len(await store.events()) == 3
