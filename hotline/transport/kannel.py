"""Kannel over HTTP, on asyncio streams (bounded, timed; no blocking I/O on the loop):

* :class:`KannelClient` posts one message to smsbox's ``sendsms`` interface;
* :class:`DlrListener` is the engine's small HTTP listener that Kannel calls back with
  delivery reports (the ``dlr-url`` of every message).

Both speak just enough HTTP/1.0 for Kannel: one request per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Final

from hotline.core.phones import mask_phone
from hotline.protocol.lines import line_value
from hotline.protocol.sms import DLR_PATH, DeliveryReport, dlr_url, parse_dlr, sendsms_query
from hotline.settings import SmsSettings

log = logging.getLogger(__name__)

SENDSMS_PATH: Final = "/cgi-bin/sendsms"
# Kannel's answers are one short line; anything longer is cut.
MAX_RESPONSE_BYTES: Final = 65_536
MAX_REQUEST_BYTES: Final = 16_384
LISTENER_TIMEOUT: Final = 5.0
HTTP_ACCEPTED: Final = frozenset({200, 202})
# Kannel: 403 a wrong user or password (configuration: try again once fixed), 503 bearerbox
# is down; other 4xx: the message itself is wrong.
_TEMPORARY: Final = frozenset({403, 408, 429})


class KannelUnavailable(Exception):
    """Kannel could not take the message now (no connection, timeout, 5xx): try again."""


class KannelRefused(Exception):
    """Kannel refused the message itself (4xx): trying again will not help."""


class KannelClient:
    def __init__(self, settings: SmsSettings, password: str) -> None:
        self._settings = settings
        self._password = password

    def callback_url(self, message_id: int, token: str) -> str:
        return dlr_url(self._settings.dlr_host, self._settings.dlr_port, message_id, token)

    async def send(self, *, message_id: int, token: str, to: str, text: str) -> str:
        """Hand one message to Kannel; Kannel's answer (``0: Accepted for delivery``)."""
        settings = self._settings
        query = sendsms_query(
            user=settings.sendsms_user,
            password=self._password,
            sender=settings.sender,
            to=to,
            text=text,
            callback_url=self.callback_url(message_id, token),
        )
        request = (
            f"GET {SENDSMS_PATH}?{query} HTTP/1.0\r\n"
            f"Host: {line_value('sms.kannel_host', settings.kannel_host)}:"
            f"{settings.sendsms_port}\r\n"
            "Connection: close\r\n\r\n"
        ).encode("ascii")
        try:
            async with asyncio.timeout(settings.request_timeout):
                status, body = await _exchange(
                    settings.kannel_host, settings.sendsms_port, request
                )
        except TimeoutError as exc:
            raise KannelUnavailable(f"no answer within {settings.request_timeout:g} s") from exc
        except OSError as exc:
            raise KannelUnavailable(f"cannot reach Kannel: {exc.strerror or exc}") from exc
        if status in HTTP_ACCEPTED:
            log.debug("sms %d to %s: Kannel says %s", message_id, mask_phone(to), body)
            return body
        why = f"Kannel answered {status}: {body}"
        if status >= 500 or status in _TEMPORARY:
            raise KannelUnavailable(why)
        raise KannelRefused(why)


async def _exchange(host: str, port: int, request: bytes) -> tuple[int, str]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        raw = await reader.read(MAX_RESPONSE_BYTES)
        while len(raw) < MAX_RESPONSE_BYTES and (chunk := await reader.read(4096)):
            raw += chunk
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    head, _sep, body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise OSError(f"not an HTTP answer: {status_line[:80]!r}")
    return int(parts[1]), body.decode("utf-8", errors="replace").strip()[:500]


ReportHandler = Callable[[DeliveryReport], Awaitable[bool]]


class DlrListener:
    """Takes Kannel's delivery-report call-backs (``GET /dlr?id=..&token=..&type=..``) and
    hands each to ``handler``; 200 when it was stored, 404 for an unknown message or token,
    400 for anything else."""

    def __init__(self, host: str, port: int, handler: ReportHandler) -> None:
        self._host = host
        self._port = port
        self._handler = handler
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, self._host, self._port, limit=MAX_REQUEST_BYTES
        )

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        status = 400
        try:
            async with asyncio.timeout(LISTENER_TIMEOUT):
                status = await self._answer(reader)
        except (
            TimeoutError,
            ValueError,
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
        ) as exc:
            log.warning("delivery report listener: bad request: %s", exc)
        except Exception:
            log.exception("delivery report listener: storing a report failed")
            status = 500
        reason = {200: "OK", 404: "Not Found", 500: "Server Error"}.get(status, "Bad Request")
        with contextlib.suppress(OSError):
            writer.write(
                f"HTTP/1.0 {status} {reason}\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n".encode("ascii")
            )
            await writer.drain()
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader) -> int:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        method, _sep, rest = request_line.partition(" ")
        target = rest.rsplit(" ", 1)[0]
        url = urllib.parse.urlsplit(target)
        if method != "GET" or url.path != DLR_PATH:
            return 404
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        report = parse_dlr(query)
        return 200 if await self._handler(report) else 404
