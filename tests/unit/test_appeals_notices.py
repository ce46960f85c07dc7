"""Notices about an appeal (R-117, R-123): the channel the customer chose first, then the way
the appeal came, then one with proof of delivery; e-mail over the dialer's SMTP settings,
delivered to a local SMTP server; a channel that cannot reach the customer passes the notice on."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hotline.appeals.notify import EmailNotifier, Notice, NoticeKind, Notices
from hotline.settings import AppealSettings, DialerSettings
from hotline.store.appeals import AppealRecord
from hotline.store.enums import AppealChannel, AppealStatus, ReplyChannel
from tests.unit.test_dialer_email import Inbox, smtp  # noqa: F401

AT = datetime(2026, 5, 8, 5, 0, tzinfo=UTC)


def appeal(reply: ReplyChannel, address: str | None, came: AppealChannel) -> AppealRecord:
    return AppealRecord(
        id=1,
        number="2026-004217",
        channel=came,
        status=AppealStatus.REGISTERED,
        category="question",
        topic="bills",
        subject="Счёт",
        text="",
        urgency="normal",
        unit="billing",
        account=None,
        phone="+79001234567",
        customer_name=None,
        reply_channel=reply,
        reply_address=address,
        registered_at=AT,
        registered_by="anna",
        deadline=date(2026, 5, 18),
        answered_at=None,
        closed_at=None,
        close_reason=None,
    )


class Recorder:
    def __init__(self, channel: ReplyChannel, takes: bool) -> None:
        self.channel = channel
        self.takes = takes
        self.sent: list[Notice] = []

    async def send(self, notice: Notice) -> bool:
        self.sent.append(notice)
        return self.takes


async def test_falls_back_in_r117_order() -> None:
    sms = Recorder(ReplyChannel.SMS, takes=False)  # e.g. the gateway refused the number
    phone = Recorder(ReplyChannel.PHONE, takes=True)
    post = Recorder(ReplyChannel.POST, takes=True)
    notices = Notices(AppealSettings(), [post, phone, sms])
    notice = Notice(NoticeKind.REGISTERED, appeal(ReplyChannel.SMS, None, AppealChannel.IVR))
    assert await notices.send(notice) is ReplyChannel.PHONE
    assert (len(sms.sent), len(phone.sent), len(post.sent)) == (1, 1, 0)
    assert notice.text() == (
        "Ваше обращение № 2026-004217 зарегистрировано. Ответ Вы получите до 18.05.2026."
    )


async def test_email_over_the_dialer_smtp_path(smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, port = smtp
    mail = EmailNotifier(DialerSettings(smtp_host="127.0.0.1", smtp_port=port))
    notices = Notices(AppealSettings(), [mail])
    sent = appeal(ReplyChannel.EMAIL, "ivanov@example.ru", AppealChannel.EMAIL)
    assert await notices.send(Notice(NoticeKind.ANSWERED, sent)) is ReplyChannel.EMAIL
    [message] = inbox.messages
    assert message["To"] == "ivanov@example.ru"
    assert "2026-004217" in message["Subject"]
    assert "подготовлен" in message.get_content()
    # Without an address e-mail cannot reach the customer: no channel took it.
    none = appeal(ReplyChannel.EMAIL, None, AppealChannel.EMAIL)
    assert await notices.send(Notice(NoticeKind.REGISTERED, none)) is None
