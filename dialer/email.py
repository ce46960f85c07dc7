"""E-mail informing: contacts who chose e-mail get the message instead of a call, and a
final negative call falls back to e-mail.  smtplib is the standard library's client; it
blocks, so each message is sent in a worker thread and the event loop stays free."""

from __future__ import annotations

import asyncio
import logging
import re
import smtplib
import time
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Final

from dialer.model import Reason, Result
from dialer.repository import CampaignRecord, DialerStore
from dialer.window import window_for
from hotline.settings import DialerSettings

log = logging.getLogger(__name__)

# How long sending pauses after the server was unreachable or failed temporarily.
MAIL_RETRY_SECONDS: Final = 60.0
# E-mails per campaign and dispatcher tick.
MAIL_BATCH: Final = 20


_ADDRESS: Final = re.compile(r"[^\s<>\"'(),;:@]+@[^\s<>\"'(),;:@]+")


def _without_addresses(text: str) -> str:
    """A server's reply without the e-mail addresses it quotes (``<a@b>: rejected``)."""
    return _ADDRESS.sub("***", text)


class MailRefused(Exception):
    """The server refused the message for good (5xx): retrying will not help."""


class MailUnavailable(Exception):
    """No server, or a temporary failure (connection, 4xx): try again later."""


class Mailer:
    def __init__(self, settings: DialerSettings, sender_name: str) -> None:
        self._settings = settings
        self._sender_name = sender_name

    @property
    def configured(self) -> bool:
        return self._settings.smtp_host is not None

    async def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = formataddr((self._sender_name, self._settings.smtp_from))
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=self._settings.smtp_from.rpartition("@")[2])
        message.set_content(body)
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        settings = self._settings
        if settings.smtp_host is None:
            raise MailUnavailable("no SMTP server configured (dialer.smtp_host)")
        try:
            with smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout
            ) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls()
                if settings.smtp_user and settings.smtp_password is not None:
                    smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            # The codes only: the recipients' addresses are personal data and get logged.
            codes = [code for code, _msg in exc.recipients.values()]
            why = f"recipient refused ({', '.join(map(str, codes))})"
            if all(code >= 500 for code in codes):
                raise MailRefused(why) from exc
            raise MailUnavailable(why) from exc
        except smtplib.SMTPResponseException as exc:
            why = f"{exc.smtp_code} {_without_addresses(repr(exc.smtp_error))}"
            if exc.smtp_code >= 500:
                raise MailRefused(why) from exc
            raise MailUnavailable(why) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailUnavailable(_without_addresses(str(exc)) or type(exc).__name__) from exc


class EmailSender:
    """Sends a campaign's due e-mails each dispatcher tick, in the same calling window as
    the phone (R-086), and backs off for a minute while the server is unavailable."""

    def __init__(self, settings: DialerSettings, store: DialerStore, company: str) -> None:
        self._store = store
        self.company = company
        self.mailer = Mailer(settings, company)
        self._paused_until = 0.0

    async def send_due(self, campaign: CampaignRecord, now: datetime) -> None:
        if time.monotonic() < self._paused_until:
            return
        scenario = campaign.snapshot
        assert scenario is not None
        due = await self._store.emails_due(campaign.id, limit=MAIL_BATCH)
        for target, address in due:
            if not window_for(campaign.rules, target.timezone).is_open(now):
                continue
            by_email = target.channel == "email"
            refused = (Result.NEGATIVE, Reason.EMAIL_FAILED) if by_email else None
            content = scenario.email(target.variables, self.company)
            if content is None or not self.mailer.configured:
                await self._store.email_done(target.id, False, now, close_as=refused)
                continue
            try:
                await self.mailer.send(address, *content)
            except MailRefused as exc:
                log.warning("campaign %s: e-mail refused: %s", campaign.name, exc)
                await self._store.email_done(target.id, False, now, close_as=refused)
                continue
            except MailUnavailable as exc:
                log.warning(
                    "campaign %s: e-mail not sent, retrying in a minute: %s", campaign.name, exc
                )
                self._paused_until = time.monotonic() + MAIL_RETRY_SECONDS
                return
            positive = (Result.POSITIVE, Reason.EMAIL_SENT) if by_email else None
            await self._store.email_done(target.id, True, now, close_as=positive)
        if due:
            await self._store.finish_if_done(campaign.id, now)
