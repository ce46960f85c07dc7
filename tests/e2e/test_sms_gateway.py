"""SMS through the real gateway (R-091, R-092): the outbox posts to Kannel's sendsms, Kannel
hands the message to its fakesmsc (the SMSC), and the delivery reports Kannel calls back
with are stored.  No Asterisk: Kannel and the engine's outbox and DLR listener only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.messaging.outbox import SmsOutbox
from hotline.sandbox.kannel import KannelRunner, ReceivedSms, kannel_passwords
from hotline.settings import Settings, load_settings
from hotline.store.db import Database
from hotline.store.models import SmsEventKind, SmsStatus
from hotline.store.sms import SmsRecord, SmsStore
from hotline.store.sms_notifier import SmsNotifier
from hotline.transport.kannel import DlrListener, KannelClient

pytestmark = [pytest.mark.e2e]

PHONE = "+79990001122"
WAIT = 10.0


@pytest.fixture
def sms_settings() -> Settings:
    return load_settings(
        overrides={"sms": {"enabled": "true", "retry_min_delay": "0.2", "poll_interval": "0.2"}}
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SmsStore]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}")
    await db.upgrade()
    try:
        yield SmsStore(db)
    finally:
        await db.dispose()


async def received(kannel: KannelRunner, count: int) -> list[ReceivedSms]:
    return await asyncio.to_thread(kannel.wait_received, count, WAIT)


async def until_reported(store: SmsStore, message_id: int, *types: int) -> SmsRecord:
    """The message once delivery reports of ``types`` are stored (bounded)."""
    async with asyncio.timeout(WAIT):
        while True:
            events = await store.events(message_id)
            if set(types) <= {e.dlr_type for e in events if e.kind is SmsEventKind.DLR}:
                record = await store.get(message_id)
                assert record is not None
                return record
            await asyncio.sleep(0.1)


async def test_cyrillic_sms_reaches_the_smsc_whole_and_its_reports_are_stored(
    sms_settings: Settings, store: SmsStore, kannel: KannelRunner
) -> None:
    passwords = kannel_passwords(sms_settings, create=False)
    assert passwords is not None
    outbox = SmsOutbox(sms_settings.sms, store, KannelClient(sms_settings.sms, passwords.sendsms))
    listener = DlrListener("127.0.0.1", sms_settings.sms.dlr_port, outbox.receive_report)
    await listener.start()
    notifier = SmsNotifier(store, sms_settings.sms, on_queued=outbox.wake)
    runner = asyncio.create_task(outbox.run())
    try:
        short = "Здравствуйте! Обращение 2026-000001 зарегистрировано."
        long = (
            "Уважаемый клиент, ваше обращение 2026-004217 зарегистрировано. Срок ответа: "
            "10 рабочих дней, до 17.12.2026. Спасибо, что сообщили нам! Мы ответим по SMS."
        )
        first = await notifier.notify(PHONE, short, source="test")
        second = await notifier.notify(PHONE, long, source="test")
        got = await received(kannel, 2)
        assert [(m.to, m.text) for m in got] == [(PHONE, short), (PHONE, long)]
        assert got[0].sender == sms_settings.sms.sender
        # fakesmsc got the long one as 3 concatenated UCS-2 parts.
        assert [p.part[1] for p in kannel.received() if p.part is not None] == [3, 3, 3]
        # Kannel reports "accepted by the SMSC" (8) and the fake SMSC "delivered" (1).
        for message_id in (first, second):
            record = await until_reported(store, message_id, 1, 8)
            assert record.status is SmsStatus.DELIVERED
            assert record.sent_at is not None and record.delivered_at is not None
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        await listener.close()


async def test_a_message_queued_while_kannel_is_down_arrives_once_it_is_up(
    sms_settings: Settings, store: SmsStore
) -> None:
    passwords = kannel_passwords(sms_settings)
    assert passwords is not None
    client = KannelClient(sms_settings.sms, passwords.sendsms)
    message_id = await SmsNotifier(store, sms_settings.sms).notify(
        PHONE, "Проверка связи", source="t"
    )
    outbox = SmsOutbox(sms_settings.sms, store, client)
    assert await outbox.send_due() == 0  # no Kannel: stays queued, tried again later
    waiting = await store.get(message_id)
    assert waiting is not None and waiting.status is SmsStatus.QUEUED and waiting.tries == 1
    with KannelRunner(sms_settings) as kannel:
        async with asyncio.timeout(WAIT):
            while await outbox.send_due() == 0:
                await asyncio.sleep(0.1)
        got = await received(kannel, 1)
    assert [m.text for m in got] == ["Проверка связи"]
    sent = await store.get(message_id)
    assert sent is not None and sent.status is SmsStatus.SENT and sent.tries == 2
