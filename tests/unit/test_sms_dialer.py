"""Campaign SMS (R-091, R-092): contacts who chose SMS get it instead of a call, a final
negative call falls back to it (rule sms_fallback), the text is filled in as e-mails are and
checked for length at creation and import, and what the outbox learns is the contact's
outcome."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from dialer import operations
from dialer.contacts import read_contacts
from dialer.model import CampaignKind, CampaignRules, Reason, Result, Scenario, Step
from dialer.repository import CampaignError, DialerStore
from dialer.sms import SOURCE_CAMPAIGN, check_template, sms_problems, sms_text
from hotline.protocol.ami import AmiEvent
from hotline.protocol.sms import DeliveryReport, DlrType, SmsTextError
from hotline.settings import SmsSettings, load_settings
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.models import CampaignTarget, SmsStatus
from hotline.store.sms import SmsStore
from hotline.store.sms_notifier import SmsNotifier
from tests.dialer_support import NOW, ZONE, Clock
from tests.unit.test_dialer_service import OPEN, db, make_dialer  # noqa: F401

SMS = "{company}: к оплате {amount} до {due_date}. Спасибо, что платите вовремя!"
SCENARIO = Scenario(
    kind=CampaignKind.DEBT,
    steps=(
        Step(prompt="campaign.debt.amount"),
        Step(say="money", var="amount", key=True),  # type: ignore[arg-type]
        Step(say="date", var="due_date"),  # type: ignore[arg-type]
    ),
    operator_prompt=None,
    sms_text=SMS,
)
ONE = CampaignRules.model_validate(
    {**OPEN.model_dump(), "max_attempts": 1, "contract_numbers_only": False}
)


def test_the_text_reads_as_the_email_path_words_the_values() -> None:
    text = sms_text(SCENARIO, {"amount": "1234.50", "due_date": "2026-12-10"}, "Энергосбыт")
    assert (
        text
        == "Энергосбыт: к оплате 1\u00a0234,50 руб. до 10.12.2026. Спасибо, что платите вовремя!"
    )
    assert sms_text(SCENARIO.model_copy(update={"sms_text": None}), {}, "x") is None


def test_an_unknown_placeholder_or_a_template_too_long_is_refused() -> None:
    with pytest.raises(ValueError, match=r"SMS text uses \{nope\}"):
        Scenario.model_validate({**SCENARIO.model_dump(), "sms_text": "{nope}"})
    long = SCENARIO.model_copy(update={"sms_text": "Я" * 150 + " {amount}" + "Я" * 20})
    with pytest.raises(SmsTextError, match="171 characters"):
        check_template(long, SmsSettings())
    check_template(SCENARIO, SmsSettings())


def test_import_checks_each_contacts_sms_with_their_values(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "phone,amount,due_date,channel\n"
        "+79131234561,100,2026-12-10,sms\n"
        "+79131234562,100,2026-12-10,phone\n",
        encoding="utf-8",
    )
    report = read_contacts(path, SCENARIO.variables(), region="RU", do_not_call=frozenset())
    assert report.ok, report.errors
    tight = SmsSettings(max_chars=70, max_parts=1)
    # Company name long enough to push the SMS-only contact's text over one part.
    company = "Энергосбытовая компания"
    problems = sms_problems(report, SCENARIO, ONE, tight, company)
    assert [(p.row, p.column) for p in problems] == [(2, "sms_text")]
    assert "at most 70 characters" in problems[0].reason
    fallback = ONE.model_copy(update={"sms_fallback": True})
    assert [p.row for p in sms_problems(report, SCENARIO, fallback, tight, company)] == [2, 3]
    assert sms_problems(report, SCENARIO, fallback, SmsSettings(), company) == []


async def test_campaign_creation_and_import_refuse_an_sms_too_long(
    db: Database,  # noqa: F811
    tmp_path: Path,
) -> None:
    store = DialerStore(db)
    long = SCENARIO.model_copy(update={"sms_text": "Я" * 161})
    await store.add_scenario("long", long, "author", NOW)
    with pytest.raises(CampaignError, match="161 characters"):
        await operations.create(db, "long", "long", ONE, Actor("author", "cli"))
    await store.add_scenario("ok", SCENARIO, "author", NOW)
    await operations.create(db, "ok", "ok", ONE, Actor("author", "cli"))
    path = tmp_path / "c.csv"
    path.write_text(
        "phone,amount,due_date,channel\n+79131234561,100,2026-12-10,sms\n", encoding="utf-8"
    )
    settings = load_settings(overrides={"sms": {"max_chars": "40"}})
    report = await operations.check_contacts(db, settings, "ok", path)
    assert [(p.row, p.column) for p in report.errors] == [(2, "sms_text")]
    assert "at most 40 characters" in report.errors[0].reason


async def _start(database: Database, tmp_path: Path, rules: CampaignRules, csv: str) -> int:
    store = DialerStore(database)
    path = tmp_path / "c.csv"
    path.write_text(csv, encoding="utf-8")
    report = read_contacts(path, SCENARIO.variables(), region="RU", do_not_call=frozenset())
    assert report.ok, report.errors
    version = await store.add_scenario("s", SCENARIO, "author", NOW)
    await store.create_campaign("sms", version.id, rules, "author", NOW)
    await store.attach_list("sms", "l", "c.csv", report, "author", NOW)
    await store.approve("sms", "manager", NOW)
    return (await store.start("sms", NOW, default_zone=ZONE)).id


async def test_sms_channel_and_fallback_go_to_the_outbox_and_reports_are_outcomes(
    db: Database,  # noqa: F811
    tmp_path: Path,
) -> None:
    store = DialerStore(db)
    campaign_id = await _start(
        db,
        tmp_path,
        ONE.model_copy(update={"sms_fallback": True}),
        "phone,amount,due_date,channel\n"
        "+79131234561,100.5,2026-12-10,sms\n"
        "+79131234564,7,2026-12-11,phone\n",
    )
    sms_store = SmsStore(db)
    dialer, ami = make_dialer(db, Clock(NOW))
    dialer._sms._notifier = SmsNotifier(sms_store, SmsSettings())
    dialer.company = "Энергосбыт"
    assert await dialer.dispatch_once() == 1  # one call; the SMS contact is not dialled
    (queued,) = await sms_store.recent()
    assert (queued.phone, queued.source) == ("+79131234561", SOURCE_CAMPAIGN)
    assert queued.text.startswith("Энергосбыт: к оплате 100,50 руб. до 10.12.2026.")
    rows = {r["phone"]: r for r in await store.targets_detail(campaign_id)}
    assert (rows["+79131234561"]["state"], rows["+79131234561"]["sms_status"]) == (
        "pending",
        "queued",
    )
    # Kannel accepted it: the SMS contact is positive "sms_sent"; the report makes it
    # "sms_delivered".
    await sms_store.mark_sent(queued.id, "0: Accepted", NOW)
    await dialer.sms_changed(await sms_store.get(queued.id))  # type: ignore[arg-type]
    row = (await store.targets_detail(campaign_id))[0]
    assert (row["result"], row["reason"], row["sms_status"]) == ("positive", "sms_sent", "sent")
    report = DeliveryReport(queued.id, queued.token, DlrType.DELIVERED, "ACK/")
    await dialer.sms_changed(await sms_store.record_dlr(report, NOW))  # type: ignore[arg-type]
    row = (await store.targets_detail(campaign_id))[0]
    assert (row["reason"], row["sms_status"]) == (Reason.SMS_DELIVERED, "delivered")

    # The call is busy; with one attempt that is final, and the SMS follows.
    attempt_id = ami.originated[0]["action_id"]
    for headers in (
        [("Event", "OriginateResponse"), ("ActionID", attempt_id), ("Response", "Failure")],
        [("Event", "Hangup"), ("Uniqueid", attempt_id), ("Cause", "17")],
    ):
        await dialer.handle_event(AmiEvent.from_headers([*headers, ("Reason", "5")]))
    async with asyncio.timeout(10):
        while (await store.targets_detail(campaign_id))[1]["sms_status"] != "pending":
            await asyncio.sleep(0.05)
    await dialer.dispatch_once()
    fallback = (await sms_store.recent())[0]
    assert fallback.phone == "+79131234564"
    assert "7,00 руб. до 11.12.2026" in fallback.text
    failed = DeliveryReport(fallback.id, fallback.token, DlrType.UNDELIVERED, "x")
    await dialer.sms_changed(await sms_store.record_dlr(failed, NOW))  # type: ignore[arg-type]
    row = (await store.targets_detail(campaign_id))[1]
    # The call's outcome stays; the SMS's is stored beside it.
    assert (row["result"], row["reason"], row["sms_status"]) == ("negative", "busy", "failed")
    assert (await store.campaign("sms")).state == "finished"


async def test_without_a_gateway_sms_contacts_fail_at_once(
    db: Database,  # noqa: F811
    tmp_path: Path,
) -> None:
    store = DialerStore(db)
    campaign_id = await _start(
        db, tmp_path, ONE, "phone,amount,due_date,channel\n+79131234561,1,2026-12-10,sms\n"
    )
    dialer, _ami = make_dialer(db, Clock(NOW))
    assert await dialer.dispatch_once() == 0
    row = (await store.targets_detail(campaign_id))[0]
    assert (row["result"], row["reason"], row["sms_status"]) == (
        "negative",
        Reason.SMS_FAILED,
        SmsStatus.FAILED,
    )
    assert (await store.campaign("sms")).state == "finished"


async def test_a_report_that_comes_before_queued_is_not_undone(
    db: Database,  # noqa: F811
    tmp_path: Path,
) -> None:
    # Kannel may call back before the sender has written "queued" for its contact.
    store = DialerStore(db)
    campaign_id = await _start(
        db, tmp_path, ONE, "phone,amount,due_date,channel\n+79131234561,1,2026-12-10,sms\n"
    )
    async with db.session() as session:
        target_id = (await session.scalars(select(CampaignTarget.id))).one()
    delivered = (Result.POSITIVE, Reason.SMS_DELIVERED)
    await store.sms_update(target_id, SmsStatus.DELIVERED, NOW, close_as=delivered)
    await store.sms_update(target_id, SmsStatus.QUEUED, NOW, sms_id=5)
    await store.sms_update(
        target_id, SmsStatus.SENT, NOW, close_as=(Result.POSITIVE, Reason.SMS_SENT)
    )
    row = (await store.targets_detail(campaign_id))[0]
    assert (row["reason"], row["sms_status"]) == (Reason.SMS_DELIVERED, "delivered")
    async with db.session() as session:
        assert (await session.get(CampaignTarget, target_id)).sms_id == 5  # type: ignore[union-attr]
