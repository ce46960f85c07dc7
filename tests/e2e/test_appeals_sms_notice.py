"""An appeal's registration notice reaches the customer by SMS through the real gateway: the
register queues it, the outbox posts it to Kannel, Kannel hands it to fakesmsc (the SMSC)
and the delivery report is stored under the appeal's number (issue 16, R-117, R-123)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.appeals.notify import SMS_SOURCE, appeal_notices
from hotline.appeals.register import Appeals
from hotline.messaging.outbox import SmsOutbox
from hotline.sandbox.kannel import KannelRunner, kannel_passwords
from hotline.settings import load_settings
from hotline.store.db import Database
from hotline.store.enums import ReplyChannel
from hotline.store.models import SmsStatus
from hotline.store.sms import SmsStore
from hotline.store.sms_notifier import SmsNotifier
from hotline.transport.kannel import DlrListener, KannelClient
from tests.store.test_appeals_store import ANNA, request

pytestmark = [pytest.mark.e2e]

WAIT = 10.0


async def test_the_registration_sms_arrives_with_the_appeal_number(
    kannel: KannelRunner, tmp_path: Path
) -> None:
    settings = load_settings(
        overrides={"sms": {"enabled": "true", "retry_min_delay": "0.2", "poll_interval": "0.2"}}
    )
    passwords = kannel_passwords(settings, create=False)
    assert passwords is not None
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}")
    await db.upgrade()
    store = SmsStore(db)
    outbox = SmsOutbox(settings.sms, store, KannelClient(settings.sms, passwords.sendsms))
    listener = DlrListener("127.0.0.1", settings.sms.dlr_port, outbox.receive_report)
    await listener.start()
    sender = asyncio.create_task(outbox.run())
    try:
        notices = appeal_notices(
            settings.appeals,
            settings.dialer,
            SmsNotifier(store, settings.sms, on_queued=outbox.wake),
        )
        register = Appeals(db, settings.appeals, "Asia/Krasnoyarsk", notices)
        appeal = await register.register(
            request(reply_channel=ReplyChannel.SMS, phone="+79001234567"), ANNA
        )

        [sms] = await asyncio.to_thread(kannel.wait_received, 1, WAIT)
        assert sms.to == "+79001234567"
        assert f"№ {appeal.number} зарегистрировано" in sms.text
        assert appeal.deadline.strftime("%d.%m.%Y") in sms.text
        async with asyncio.timeout(WAIT):
            while True:
                [stored] = await store.by_reference(SMS_SOURCE, appeal.number)
                if stored.status is SmsStatus.DELIVERED:
                    break
                await asyncio.sleep(0.1)
    finally:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
        await listener.close()
        await db.dispose()
