"""Registration and answer notices go out by the customer's reply channel after the appeal is
committed (R-117, R-123): SMS queued in the outbox under the appeal's number; a channel that
fails never undoes the registration."""

from __future__ import annotations

from hotline.appeals.notify import (
    SMS_SOURCE,
    Notice,
    NoticeKind,
    Notices,
    SmsAppealNotifier,
    appeal_notices,
)
from hotline.appeals.register import Appeals
from hotline.settings import AppealSettings, DialerSettings, SmsSettings
from hotline.store.db import Database
from hotline.store.enums import ReplyChannel
from hotline.store.sms import SmsStore
from hotline.store.sms_notifier import SmsNotifier
from tests.store.test_appeals_store import ANNA, FRIDAY, SUPERVISOR, request


async def test_registration_and_answer_are_texted_under_the_appeal_number(db: Database) -> None:
    await db.upgrade()
    sms = SmsNotifier(SmsStore(db), SmsSettings())
    notices = appeal_notices(AppealSettings(), DialerSettings(), sms)
    register = Appeals(db, AppealSettings(), "Asia/Krasnoyarsk", notices)

    appeal = await register.register(
        request(reply_channel=ReplyChannel.SMS, reply_address="8 (900) 123-45-67"), ANNA, at=FRIDAY
    )
    await register.answer(appeal.number, SUPERVISOR)

    queued = await SmsStore(db).by_reference(SMS_SOURCE, appeal.number)
    assert [m.phone for m in queued] == ["+79001234567", "+79001234567"]
    assert queued[0].text == (
        f"Ваше обращение № {appeal.number} зарегистрировано. Ответ Вы получите до 14.05.2026."
    )
    assert queued[1].text.startswith(f"Ответ на Ваше обращение № {appeal.number} подготовлен")


async def test_phone_replies_are_not_texted_and_a_failing_channel_keeps_the_appeal(
    db: Database,
) -> None:
    await db.upgrade()
    sms = SmsNotifier(SmsStore(db), SmsSettings())
    register = Appeals(
        db,
        AppealSettings(),
        "Asia/Krasnoyarsk",
        appeal_notices(AppealSettings(), DialerSettings(), sms),
    )
    by_phone = await register.register(request(reply_channel=ReplyChannel.PHONE), ANNA, at=FRIDAY)
    assert await SmsStore(db).by_reference(SMS_SOURCE, by_phone.number) == []

    class Broken:
        channel = ReplyChannel.SMS

        async def send(self, notice: Notice) -> bool:
            raise RuntimeError("gateway exploded")

    failing = Appeals(
        db, AppealSettings(), "Asia/Krasnoyarsk", Notices(AppealSettings(), [Broken()])
    )
    kept = await failing.register(request(), ANNA, at=FRIDAY)
    assert (await failing.stored(kept.number)) is not None


async def test_sms_notifier_falls_back_to_the_appeal_phone(db: Database) -> None:
    await db.upgrade()
    sms = SmsNotifier(SmsStore(db), SmsSettings())
    register = Appeals(db, AppealSettings(), "Asia/Krasnoyarsk")
    appeal = await register.register(
        request(reply_channel=ReplyChannel.SMS, reply_address="не телефон"), ANNA, at=FRIDAY
    )

    assert await SmsAppealNotifier(sms).send(Notice(NoticeKind.REGISTERED, appeal))
    [message] = await SmsStore(db).by_reference(SMS_SOURCE, appeal.number)
    assert message.phone == "+79001234567"
