"""E-mail informing against a local SMTP server (aiosmtpd): contacts who chose e-mail get
the message instead of a call, and a final negative call falls back to e-mail."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from dialer.model import CampaignKind, CampaignRules, Reason, Scenario, Step
from dialer.repository import DialerStore
from hotline.protocol.ami import AmiEvent
from hotline.store.db import Database
from tests.dialer_support import NOW, ZONE, Clock
from tests.unit.test_dialer_service import OPEN, db, make_dialer  # noqa: F401

SCENARIO = Scenario(
    kind=CampaignKind.DEBT,
    steps=(Step(prompt="campaign.debt.amount"), Step(say="money", var="amount", key=True)),  # type: ignore[arg-type]
    operator_prompt=None,
    email_subject="{company}: напоминание",
    email_body="Сумма к оплате: {amount}.",
)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_email_channel_and_fallback_after_a_final_negative_call(
    db: Database,  # noqa: F811
    tmp_path: Path,
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    store = DialerStore(db)
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(
        "phone,amount,email,channel,email_given_by_customer\n"
        "+79131234561,100.5,first@example.ru,email,yes\n"
        "+79131234564,7,second@example.ru,phone,yes\n"
        "+79131234565,8,bad@example.ru,email,yes\n",
        encoding="utf-8",
    )
    from dialer.contacts import read_contacts

    report = read_contacts(mixed, SCENARIO.variables(), region="RU", do_not_call=frozenset())
    assert report.ok, report.errors
    version = await store.add_scenario("mail", SCENARIO, "author", NOW)
    rules = CampaignRules.model_validate({**OPEN.model_dump(), "max_attempts": 1})
    await store.create_campaign("mail", version.id, rules, "author", NOW)
    await store.attach_list("mail", "mixed", "mixed.csv", report, "author", NOW)
    await store.approve("mail", "manager", NOW)
    mail = await store.start("mail", NOW, default_zone=ZONE)
    inbox.refuse.add("bad@example.ru")

    dialer, ami = make_dialer(
        db, Clock(NOW), smtp_host="127.0.0.1", smtp_port=port, smtp_from="info@energo.example"
    )
    dialer.company = dialer.mailer._sender_name = "Энергосбыт"
    assert await dialer.dispatch_once() == 1  # one call (the phone contact), two e-mails
    assert [m["To"] for m in inbox.messages] == ["first@example.ru"]
    first = inbox.messages[0]
    assert first["Subject"] == "Энергосбыт: напоминание"
    assert "100,50 руб." in first.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]

    # The call is busy; with one attempt that is final, and the e-mail follows.
    attempt_id = ami.originated[0]["action_id"]
    await dialer.handle_event(
        AmiEvent.from_headers(
            [
                ("Event", "OriginateResponse"),
                ("ActionID", attempt_id),
                ("Response", "Failure"),
                ("Reason", "5"),
            ]
        )
    )
    await dialer.handle_event(
        AmiEvent.from_headers([("Event", "Hangup"), ("Uniqueid", attempt_id), ("Cause", "17")])
    )
    async with asyncio.timeout(10):
        while (await store.targets_detail(mail.id))[1]["email_status"] != "pending":
            await asyncio.sleep(0.05)
    await dialer.dispatch_once()
    assert [m["To"] for m in inbox.messages] == ["first@example.ru", "second@example.ru"]
    rows = {r["phone"]: r for r in await store.targets_detail(mail.id)}
    assert (rows["+79131234561"]["result"], rows["+79131234561"]["reason"]) == (
        "positive",
        Reason.EMAIL_SENT,
    )
    assert (rows["+79131234564"]["reason"], rows["+79131234564"]["email_status"]) == (
        Reason.BUSY,
        "sent",
    )
    assert (rows["+79131234565"]["reason"], rows["+79131234565"]["email_status"]) == (
        Reason.EMAIL_FAILED,
        "failed",
    )
    assert (await store.campaign("mail")).state == "finished"
