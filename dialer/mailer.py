"""E-mail informing over SMTP.  smtplib is the standard library's client; it blocks, so each
message is sent in a worker thread and the event loop stays free."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from hotline.settings import DialerSettings


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
            codes = [code for code, _msg in exc.recipients.values()]
            if all(code >= 500 for code in codes):
                raise MailRefused(str(exc.recipients)) from exc
            raise MailUnavailable(str(exc.recipients)) from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                raise MailRefused(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise MailUnavailable(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailUnavailable(str(exc) or type(exc).__name__) from exc
