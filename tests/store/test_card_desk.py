"""The operator's desk from stored rows (issue 17): the customer card, dispositions, the
card's lookup time, after-call work and the queue report built from them, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from hotline.contact_center import desk
from hotline.contact_center.card import customer_card
from hotline.contact_center.operators import screen
from hotline.contact_center.queue_report import build_report, report_sheets
from hotline.core.errors import NotFound
from hotline.settings import load_settings
from hotline.store.accounts import (
    AccountRecord,
    AccountStore,
    MeterRecord,
    ReadingDraft,
    ReadingStore,
)
from hotline.store.audit import Actor, AuditLog
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.desk import ContactKind, DeskStore
from hotline.store.enums import CallDirection, CallOutcome, EventKind
from hotline.store.enums import QueueEventKind as K
from hotline.store.operators import Operators
from hotline.store.queue_events import QueueEventRecord, QueueEvents

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
CALLER = "79131234567"
ACCOUNT = "100000000001"
WHO = Actor("anna", "web")


@pytest.fixture
async def store(db: Database) -> Database:
    await db.upgrade()
    return db


def account(**changes: object) -> AccountRecord:
    values: dict[str, object] = {
        "number": ACCOUNT,
        "name": "Иванов Иван",
        "address": "г. Красноярск, ул. Ленина, 1",
        "timezone": "Asia/Krasnoyarsk",
        "balance": Decimal("1234.56"),
        "due_date": dt.date(2026, 12, 25),
        "last_payment": None,
        "last_payment_date": None,
        "avg_monthly_kwh": 250,
        "phones": (CALLER,),
        "meters": (MeterRecord("M1", 1, 6, (12000,), dt.date(2026, 10, 25)),),
    }
    values.update(changes)
    return AccountRecord(**values)  # type: ignore[arg-type]


async def answered_call(
    db: Database, uid: str, at: datetime, *, account: str | None = None, member: str = "anna"
) -> str:
    log = CallLog(db)
    call_id = await log.open(
        uniqueid=uid, direction=CallDirection.INBOUND, caller=CALLER, started_at=at
    )
    if account is not None:
        await log.add_event(uid, EventKind.ACCOUNT, account)
    await log.set_outcome(uid, CallOutcome.OPERATOR, operator_reason="readings")
    events = QueueEvents(db)
    await events.add(QueueEventRecord(at, K.JOIN, uid, "hotline"))
    await events.add(
        QueueEventRecord(at + timedelta(seconds=5), K.CONNECT, uid, "hotline", member, wait=5)
    )
    return call_id


async def test_the_card_of_an_ivr_identified_caller_has_it_all(store: Database) -> None:
    await AccountStore(store).upsert([account()])
    # An earlier call with its disposition, and a callback request.
    await answered_call(store, "u0", T0 - timedelta(days=3))
    await DeskStore(store).dispose("u0", "anna", "general", "answered", None, T0)
    await CallbackStore(store).request(CALLER, source="queue", at=T0 - timedelta(days=1))
    # This call: the account and a reading given in the IVR.
    call_id = await answered_call(store, "u1", T0, account=ACCOUNT)
    await ReadingStore(store).submit(
        ReadingDraft(call_id, ACCOUNT, "M1", 1, "2026-11", 12345, 12000), at=T0
    )
    pop = await screen("anna", CallLog(store), QueueEvents(store))
    assert pop is not None
    card = await customer_card(store, load_settings(), pop)
    assert card.account is not None and card.found_by == "ivr"
    assert (card.account.name, card.balance) == ("Иванов Иван", Decimal("1234.56"))
    assert card.account.due_date == dt.date(2026, 12, 25)
    (meter,) = card.meters
    assert (meter.meter_id, meter.zone, meter.value, meter.this_call) == ("M1", 1, 12345, True)
    # Newest first; this call itself is not an "earlier" contact.
    assert [(c.kind, c.detail) for c in card.contacts] == [
        (ContactKind.CALLBACK, ""),
        (ContactKind.CALL, "answered"),
    ]


async def test_a_caller_the_ivr_did_not_identify_is_found_by_the_number(
    store: Database,
) -> None:
    await AccountStore(store).upsert([account()])
    await answered_call(store, "u1", T0)
    pop = await screen("anna", CallLog(store), QueueEvents(store))
    assert pop is not None and pop["account"] is None
    card = await customer_card(store, load_settings(), pop)
    assert card.account is not None and card.found_by == "phone"
    (meter,) = card.meters
    assert (meter.value, meter.this_call) == (12000, False)  # billing's, none taken here
    # Two accounts on the number: the operator asks which one.
    await AccountStore(store).upsert([account(number="100000000002")])
    card = await customer_card(store, load_settings(), pop)
    assert card.account is None and card.found_by is None


async def test_the_lookup_time_is_from_the_answer_to_the_card_drawn(store: Database) -> None:
    await answered_call(store, "u1", T0)
    connected = T0 + timedelta(seconds=5)
    view = await desk.card_shown(store, "anna", "u1", connected + timedelta(seconds=3.5))
    assert view.seconds == 3.5
    again = await desk.card_shown(store, "anna", "u1", connected + timedelta(seconds=30))
    assert again.seconds == 3.5  # a later redraw keeps the first
    with pytest.raises(NotFound):
        await desk.card_shown(store, "boris", "u1")  # not boris's call


async def test_a_disposition_is_checked_stored_replaced_and_audited(store: Database) -> None:
    settings = load_settings()
    await answered_call(store, "u1", T0)
    with pytest.raises(desk.DeskError):
        await desk.dispose(store, settings, "anna", "u1", "gossip", "answered", None, WHO)
    with pytest.raises(desk.DeskError):
        await desk.dispose(store, settings, "anna", "u1", "general", "shrugged", None, WHO)
    with pytest.raises(NotFound):
        await desk.dispose(store, settings, "boris", "u1", "general", "answered", None, WHO)
    await desk.dispose(store, settings, "anna", "u1", "general", "answered", None, WHO)
    await desk.dispose(store, settings, "anna", "u1", "readings", "readings_taken", "ok", WHO)
    kept = (await DeskStore(store).dispositions(["u1"]))["u1"]
    assert (kept.call_type, kept.result, kept.note) == ("readings", "readings_taken", "ok")
    assert len(await AuditLog(store).entries(action=desk.DISPOSE_ACTION)) == 2


@dataclass
class FakeAmi:
    pauses: list[tuple[str, bool, str | None]] = field(default_factory=list)
    connected: bool = True

    async def queue_pause(
        self, queue: str, interface: str, paused: bool, reason: str | None = None
    ) -> None:
        self.pauses.append((interface, paused, reason))


async def test_after_call_work_starts_ends_on_ready_or_when_its_time_is_up(
    store: Database,
) -> None:
    settings = load_settings()
    ami = FakeAmi()
    operators = Operators(store)
    await operators.add("anna", "PJSIP/anna")
    await operators.add("sim", "Local/sim", simulated=True)
    for name in ("anna", "sim"):
        await operators.set_state(name, logged_in=True)
    started = await desk.start_wrapup(ami, store, settings, "anna", T0)  # type: ignore[arg-type]
    assert started is not None and started.reason == desk.WRAPUP_REASON
    assert started.until == T0 + timedelta(seconds=300)
    assert ami.pauses == [("PJSIP/anna", True, desk.WRAPUP_REASON)]
    assert (await operators.get("anna")).paused
    # Simulated operators answer scripted calls back to back: no after-call work.
    assert await desk.start_wrapup(ami, store, settings, "sim", T0) is None  # type: ignore[arg-type]
    # «Готов» after 40 s.
    ready = await desk.finish_wrapup(ami, store, settings, "anna", T0 + timedelta(seconds=40))  # type: ignore[arg-type]
    assert ready is not None and ready.ended_at == T0 + timedelta(seconds=40)
    assert ami.pauses[-1] == ("PJSIP/anna", False, None)
    assert not (await operators.get("anna")).paused
    # Not ended by «готов»: over when 300 s pass, not a second earlier.
    await desk.start_wrapup(ami, store, settings, "anna", T0 + timedelta(seconds=60))  # type: ignore[arg-type]
    almost = T0 + timedelta(seconds=359)
    assert await desk.expire_wrapups(ami, store, settings, almost) == []  # type: ignore[arg-type]
    over = T0 + timedelta(seconds=360)
    assert await desk.expire_wrapups(ami, store, settings, over) == ["anna"]  # type: ignore[arg-type]
    assert await DeskStore(store).open_pause("anna") is None
    # A pause the operator chose is theirs to end: «готов» does not touch it.
    await DeskStore(store).pause_started("anna", "перерыв", over)
    assert await desk.finish_wrapup(ami, store, settings, "anna") is None  # type: ignore[arg-type]


async def test_the_queue_report_takes_types_fcr_lookup_and_pauses_from_the_desk(
    store: Database,
) -> None:
    settings = load_settings()
    log = CallLog(store)
    events = QueueEvents(store)
    # Two answered calls the IVR path would call "general"; anna classifies the first.
    for uid, at, talk in (("a", T0, 100), ("b", T0 + timedelta(minutes=5), 200)):
        await answered_call(store, uid, at)
        await events.add(
            QueueEventRecord(
                at + timedelta(seconds=5 + talk), K.COMPLETE, uid, "hotline", "anna", talk=talk
            )
        )
        await log.ended(uid, at=at + timedelta(seconds=10 + talk))
    await desk.dispose(store, settings, "anna", "a", "readings", "readings_taken", None, WHO)
    await desk.dispose(store, settings, "anna", "b", "general", "redirected", None, WHO)
    await desk.card_shown(store, "anna", "a", T0 + timedelta(seconds=7))
    await desk.card_shown(store, "anna", "b", T0 + timedelta(minutes=5, seconds=9))
    desk_store = DeskStore(store)
    await desk_store.pause_started("anna", desk.WRAPUP_REASON, T0 + timedelta(seconds=105))
    await desk_store.pause_ended("anna", T0 + timedelta(seconds=165))
    await desk_store.pause_started("anna", "перерыв", T0 + timedelta(seconds=200))
    await desk_store.pause_ended("anna", T0 + timedelta(seconds=230))

    report = await build_report(store, settings, T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert [c.call_type.value for c in report.calls] == ["readings", "general"]
    assert report.kpi("handling_time_readings").value == 100.0
    assert report.kpi("handling_time_general").value == 200.0
    fcr = report.kpi("first_contact_resolution")
    assert (fcr.value, fcr.target, fcr.met) == (0.5, 0.9, False)
    assert report.kpi("card_lookup_time").value == 3.0  # 2 s and 4 s after the answer
    assert report.kpi("wrapup_time").value == 60.0
    assert [(t.operator, t.reason, t.seconds) for t in report.operator_time] == [
        ("anna", "перерыв", 30.0),
        ("anna", desk.WRAPUP_REASON, 60.0),
    ]
    assert report.to_dict()["operator_time"][0]["seconds"] == 30.0
    zone = ZoneInfo(settings.hours.timezone)
    sheets = {s.title: s for s in report_sheets(report, zone)}
    assert sheets["Operators' pauses"].rows == (
        ("anna", "перерыв", 30.0),
        ("anna", desk.WRAPUP_REASON, 60.0),
    )
    kpi_rows = {row[0]: row for row in sheets["KPI"].rows}
    assert kpi_rows["first_contact_resolution"][2] == 0.5
