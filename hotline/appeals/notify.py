"""Notices to the customer about their appeal (registered, answered) by the reply channel they
chose, with the fallbacks of R-117: the seam the channels plug into.

A :class:`Notifier` sends one channel's notices (e-mail here, over the SMTP server the dialer's
e-mail informing uses, ``dialer.smtp_*``; SMS through Kannel is another notifier, issue 16's
SMS branch).  :class:`Notices` tries the channels in :func:`reply_order` and reports which one
took the notice, so the caller of it can record the delivery.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from enum import StrEnum
from typing import Final, Protocol

from hotline.appeals.model import reply_order
from hotline.settings import AppealSettings, DialerSettings
from hotline.store.appeals import AppealRecord
from hotline.store.enums import ReplyChannel
from hotline.store.sms_notifier import SmsNotifier

log = logging.getLogger(__name__)

# The SMS outbox's source of appeal notices (sms_messages.source; the reference is the number).
SMS_SOURCE: Final = "appeal"


class NoticeKind(StrEnum):
    REGISTERED = "registered"
    ANSWERED = "answered"


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    appeal: AppealRecord

    def text(self) -> str:
        """What the customer reads (polite, positive, R-054): the number and the deadline."""
        number = self.appeal.number
        if self.kind is NoticeKind.ANSWERED:
            return f"Ответ на Ваше обращение № {number} подготовлен. Спасибо за обращение."
        due = self.appeal.deadline.strftime("%d.%m.%Y")
        return f"Ваше обращение № {number} зарегистрировано. Ответ Вы получите до {due}."


class Notifier(Protocol):
    """One reply channel.  ``send`` is True when the channel took the notice, False when it
    cannot reach this customer (no address, the gateway refused it for good); a temporary
    failure raises OSError."""

    channel: ReplyChannel

    async def send(self, notice: Notice) -> bool: ...


class Notices:
    def __init__(self, settings: AppealSettings, notifiers: Sequence[Notifier]) -> None:
        self._settings = settings
        self._by_channel = {n.channel: n for n in notifiers}

    async def send(self, notice: Notice) -> ReplyChannel | None:
        """The first channel in R-117's order that took the notice; None: none could."""
        appeal = notice.appeal
        for channel in reply_order(self._settings, appeal.reply_channel, appeal.channel):
            notifier = self._by_channel.get(channel)
            if notifier is None:
                continue
            try:
                if await notifier.send(notice):
                    return channel
            except OSError as exc:
                log.warning("appeal %s: %s notice failed: %s", appeal.number, channel, exc)
        return None


class EmailNotifier:
    """E-mail over ``dialer.smtp_*`` (the SMTP path of the dialer's e-mail informing);
    smtplib blocks, so each message goes from a worker thread."""

    channel = ReplyChannel.EMAIL

    def __init__(self, settings: DialerSettings, subject: str = "Ваше обращение") -> None:
        self._settings = settings
        self._subject = subject

    async def send(self, notice: Notice) -> bool:
        address = notice.appeal.reply_address
        if self._settings.smtp_host is None or not address or "@" not in address:
            return False
        message = EmailMessage()
        message["From"] = self._settings.smtp_from
        message["To"] = address
        message["Subject"] = f"{self._subject} № {notice.appeal.number}"
        message["Message-ID"] = make_msgid(domain=self._settings.smtp_from.rpartition("@")[2])
        message.set_content(notice.text())
        try:
            await asyncio.to_thread(self._send, message)
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                return False
            raise OSError(f"SMTP {exc.smtp_code}") from exc
        except smtplib.SMTPRecipientsRefused:
            return False
        except smtplib.SMTPException as exc:
            raise OSError(type(exc).__name__) from exc
        return True

    def _send(self, message: EmailMessage) -> None:
        settings = self._settings
        assert settings.smtp_host is not None
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user and settings.smtp_password is not None:
                smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
            smtp.send_message(message)


class SmsAppealNotifier:
    """SMS through the engine's outbox and Kannel (R-091): queued here, in any process; the
    outbox sends it and stores the delivery reports under the appeal's number."""

    channel = ReplyChannel.SMS

    def __init__(self, sms: SmsNotifier) -> None:
        self._sms = sms

    async def send(self, notice: Notice) -> bool:
        appeal = notice.appeal
        phone = appeal.reply_address if appeal.reply_channel is ReplyChannel.SMS else None
        for candidate in (phone, appeal.phone):
            if not candidate:
                continue
            try:
                await self._sms.notify(
                    candidate, notice.text(), source=SMS_SOURCE, reference=appeal.number
                )
            except ValueError:  # not a phone number, or a text over R-091's limit
                continue
            return True
        return False


def appeal_notices(
    settings: AppealSettings, dialer: DialerSettings, sms: SmsNotifier | None
) -> Notices:
    """The channels this installation can send notices by: e-mail when an SMTP server is set,
    SMS when the gateway is (``sms.enabled``); phone and post are the staff's."""
    notifiers: list[Notifier] = [EmailNotifier(dialer)]
    if sms is not None:
        notifiers.append(SmsAppealNotifier(sms))
    return Notices(settings, notifiers)
