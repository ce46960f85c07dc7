"""The SMS outbox (R-091, R-092) on SQLite and PostgreSQL: a message is stored before it is
sent, a Kannel outage backs off and loses nothing, a restart sends what was queued, and
delivery reports move a message forward only, for its own token only."""

from __future__ import annotations

import asyncio
import contextlib
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from hotline.messaging.outbox import SmsOutbox, retry_delay
from hotline.protocol.sms import DeliveryReport, DlrType, SmsTextError
from hotline.settings import SmsSettings
from hotline.store.db import Database
from hotline.store.models import SmsEventKind, SmsStatus
from hotline.store.sms import SmsStore
from hotline.store.sms_notifier import SmsNotifier
from hotline.transport.kannel import DlrListener, KannelClient

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


@dataclass
class FakeKannel:
    """smsbox's sendsms answering with ``status`` (or closing at once while ``down``)."""

    status: int = 202
    down: bool = False
    requests: list[dict[str, str]] = field(default_factory=list)
    port: int = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        if not self.down:
            target = head.split(b" ")[1].decode()
            self.requests.append(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(target).query)))
            body = b"0: Accepted for delivery" if self.status == 202 else b"Invalid"
            writer.write(b"HTTP/1.0 %d X\r\n\r\n%s" % (self.status, body))
            await writer.drain()
        writer.close()


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def fake_kannel() -> AsyncIterator[FakeKannel]:
    fake = FakeKannel()
    server = await asyncio.start_server(fake.serve, "127.0.0.1", 0)
    fake.port = server.sockets[0].getsockname()[1]
    try:
        yield fake
    finally:
        server.close()
        await server.wait_closed()


def sms_settings(port: int, **extra: object) -> SmsSettings:
    return SmsSettings.model_validate(
        {"sendsms_port": port, "dlr_port": 1, "request_timeout": 2.0, **extra}
    )


async def test_a_message_is_stored_before_it_is_sent_and_kannel_gets_it(
    db: Database, fake_kannel: FakeKannel
) -> None:
    await db.upgrade()
    settings = sms_settings(fake_kannel.port)
    store = SmsStore(db)
    woken: list[bool] = []
    notifier = SmsNotifier(store, settings, on_queued=lambda: woken.append(True))
    message_id = await notifier.notify("8 (913) 123-45-67", "Ваш платёж получен", source="test")
    queued = await store.get(message_id)
    assert queued is not None
    assert (queued.phone, queued.status, queued.encoding) == ("+79131234567", "queued", "ucs2")
    assert woken == [True]
    clock = Clock()
    outbox = SmsOutbox(settings, store, KannelClient(settings, "secret"), clock=clock)
    assert await outbox.send_due() == 1
    sent = await store.get(message_id)
    assert sent is not None and sent.status is SmsStatus.SENT and sent.sent_at == T0
    (request,) = fake_kannel.requests
    assert request["to"] == "+79131234567"
    assert request["text"] == "Ваш платёж получен"
    assert request["coding"] == "2" and request["password"] == "secret"
    assert f"id={message_id}&token={queued.token}&type=%d" in request["dlr-url"]
    assert await outbox.send_due() == 0  # sent once


async def test_the_notifier_refuses_a_long_text_or_a_bad_number(db: Database) -> None:
    await db.upgrade()
    store = SmsStore(db)
    notifier = SmsNotifier(store, SmsSettings())
    with pytest.raises(SmsTextError, match="161 characters"):
        await notifier.notify("+79131234567", "Я" * 161, source="test")
    with pytest.raises(ValueError, match="not a phone number"):
        await notifier.notify("12", "Здравствуйте", source="test")
    assert await store.recent() == []


async def test_a_kannel_outage_backs_off_and_loses_nothing_across_a_restart(
    db: Database, fake_kannel: FakeKannel
) -> None:
    await db.upgrade()
    settings = sms_settings(fake_kannel.port, retry_min_delay=5.0, retry_max_delay=20.0)
    store = SmsStore(db)
    notifier = SmsNotifier(store, settings)
    first = await notifier.notify("+79131234567", "Первое", source="test")
    second = await notifier.notify("+79131234568", "Второе", source="test")
    clock = Clock()
    fake_kannel.down = True
    outbox = SmsOutbox(settings, store, KannelClient(settings, "s"), clock=clock)
    assert await outbox.send_due() == 0
    message = await store.get(first)
    assert message is not None and message.status is SmsStatus.QUEUED and message.tries == 1
    assert message.next_try_at == T0 + timedelta(seconds=5)
    # Paused: the second message is not tried while Kannel is known to be down.
    assert (await store.get(second)).tries == 0  # type: ignore[union-attr]
    clock.now = T0 + timedelta(seconds=5)
    assert await outbox.send_due() == 0
    message = await store.get(first)
    assert message is not None and message.next_try_at == clock.now + timedelta(seconds=10)
    assert [retry_delay(settings, n) for n in (1, 2, 3, 4)] == [5.0, 10.0, 20.0, 20.0]
    # The engine restarts (a new outbox over the same store) and Kannel is back.
    fake_kannel.down = False
    clock.now = T0 + timedelta(seconds=16)
    restarted = SmsOutbox(settings, store, KannelClient(settings, "s"), clock=clock)
    assert await restarted.send_due() == 2
    statuses = [(await store.get(i)).status for i in (first, second)]  # type: ignore[union-attr]
    assert statuses == [SmsStatus.SENT, SmsStatus.SENT]
    kinds = [e.kind for e in await store.events(first)]
    assert kinds == [
        SmsEventKind.QUEUED,
        SmsEventKind.RETRY,
        SmsEventKind.RETRY,
        SmsEventKind.SENT,
    ]


async def test_a_refused_message_fails_and_one_never_accepted_is_given_up(
    db: Database, fake_kannel: FakeKannel
) -> None:
    await db.upgrade()
    settings = sms_settings(fake_kannel.port, give_up_after=0.001)  # 3.6 s
    store = SmsStore(db)
    notifier = SmsNotifier(store, settings)
    refused = await notifier.notify("+79131234567", "Раз", source="test")
    fake_kannel.status = 400
    outbox = SmsOutbox(settings, store, KannelClient(settings, "s"), clock=Clock())
    await outbox.send_due()
    message = await store.get(refused)
    assert message is not None and message.status is SmsStatus.FAILED
    assert "400" in (message.last_error or "")
    fake_kannel.status, fake_kannel.down = 202, True
    later = await notifier.notify("+79131234567", "Два", source="test")
    clock = Clock(now=datetime.now(UTC) + timedelta(seconds=1))
    await SmsOutbox(settings, store, KannelClient(settings, "s"), clock=clock).send_due()
    message = await store.get(later)
    assert message is not None and message.status is SmsStatus.FAILED
    assert (message.last_error or "").startswith("given up")


async def test_delivery_reports_move_forward_only_and_need_the_token(db: Database) -> None:
    await db.upgrade()
    store = SmsStore(db)
    notifier = SmsNotifier(store, SmsSettings())
    message_id = await notifier.notify("+79131234567", "Отчёт", source="test")
    message = await store.get(message_id)
    assert message is not None
    forged = DeliveryReport(message_id, "wrong", DlrType.DELIVERED, "")
    assert await store.record_dlr(forged, T0) is None
    # Kannel calls back before the sender wrote Kannel's answer.
    delivered = DeliveryReport(message_id, message.token, DlrType.DELIVERED, "ACK/")
    record = await store.record_dlr(delivered, T0)
    assert record is not None and record.status is SmsStatus.DELIVERED
    await store.mark_sent(message_id, "0: Accepted for delivery", T0)
    late = DeliveryReport(message_id, message.token, DlrType.SMSC_ACCEPTED, "")
    await store.record_dlr(late, T0)
    final = await store.get(message_id)
    assert final is not None and final.status is SmsStatus.DELIVERED
    dlrs = [e.dlr_type for e in await store.events(message_id) if e.kind is SmsEventKind.DLR]
    assert dlrs == [1, 8]
    other = await notifier.notify("+79131234567", "Другое", source="test")
    token = (await store.get(other)).token  # type: ignore[union-attr]
    failed = await store.record_dlr(DeliveryReport(other, token, DlrType.UNDELIVERED, "x"), T0)
    assert failed is not None and failed.status is SmsStatus.FAILED


async def test_the_listener_stores_kannels_call_back(db: Database) -> None:
    await db.upgrade()
    settings = SmsSettings()
    store = SmsStore(db)
    message_id = await SmsNotifier(store, settings).notify("+79131234567", "Ok", source="t")
    message = await store.get(message_id)
    assert message is not None
    outbox = SmsOutbox(settings, store, KannelClient(settings, "s"))
    seen: list[SmsStatus] = []

    async def listener(record: object) -> None:
        seen.append(record.status)  # type: ignore[attr-defined]

    outbox.on_change(listener)
    server = DlrListener("127.0.0.1", 0, outbox.receive_report)
    await server.start()
    assert server._server is not None
    port = server._server.sockets[0].getsockname()[1]

    async def get(path: str) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET {path} HTTP/1.0\r\n\r\n".encode())
        await writer.drain()
        answer = await reader.read()
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return answer.split(b"\r\n", 1)[0]

    try:
        good = f"/dlr?id={message_id}&token={message.token}&type=1&reply=ACK%2F"
        assert await get(good) == b"HTTP/1.0 200 OK"
        assert await get(f"/dlr?id={message_id}&token=nope&type=1") == b"HTTP/1.0 404 Not Found"
        assert await get("/dlr?id=x") == b"HTTP/1.0 400 Bad Request"
        assert await get("/other") == b"HTTP/1.0 404 Not Found"
        assert await get("/dlr?" + "a" * 20_000) == b"HTTP/1.0 400 Bad Request"  # bounded
    finally:
        await server.close()
    stored = await store.get(message_id)
    assert stored is not None and stored.status is SmsStatus.DELIVERED
    assert seen == [SmsStatus.DELIVERED]


async def test_reports_that_come_together_never_undo_each_other(db: Database) -> None:
    # Kannel calls back with "accepted by the SMSC" and "delivered" at once, on two
    # connections, while the sender writes Kannel's answer.
    await db.upgrade()
    store = SmsStore(db)
    notifier = SmsNotifier(store, SmsSettings())
    for _round in range(5):
        message_id = await notifier.notify("+79131234567", "Вместе", source="test")
        message = await store.get(message_id)
        assert message is not None
        await asyncio.gather(
            store.record_dlr(DeliveryReport(message_id, message.token, DlrType(8), ""), T0),
            store.record_dlr(DeliveryReport(message_id, message.token, DlrType(1), ""), T0),
            store.mark_sent(message_id, "0: Accepted for delivery", T0),
        )
        final = await store.get(message_id)
        assert final is not None and final.status is SmsStatus.DELIVERED
