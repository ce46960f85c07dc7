"""The webhook outbox's delivery (issue 22 item 4) on SQLite and PostgreSQL, with a fake
receiver: strictly in order per endpoint, the head of a line blocks only its own endpoint,
back-off, dead letters after the attempts allowed, «Повторить» (audited), kinds filtered,
every POST signed."""

from __future__ import annotations

from datetime import datetime, timedelta

from hotline.messaging.webhooks import WebhookOutbox
from hotline.protocol.webhooks import (
    HEADER_EVENT_ID,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    decode,
    verify,
)
from hotline.settings import WebhookEndpoint, WebhookSettings
from hotline.store.accounts import ReadingDraft, ReadingStore
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database
from hotline.store.models import WebhookDeliveryStatus
from hotline.store.webhooks import WebhookStore
from hotline.transport.webhook_http import WebhookPostFailed
from tests.dialer_support import NOW

SECRETS = {"billing": b"b" * 32, "crm": b"c" * 32}
ANNA = Actor("anna", "web", "127.0.0.1")


class Receiver:
    """Takes POSTs per URL unless that URL is down; keeps what it took."""

    def __init__(self) -> None:
        self.down: set[str] = set()
        self.took: dict[str, list[str]] = {}
        self.tries = 0

    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        self.tries += 1
        if url in self.down:
            raise WebhookPostFailed("ConnectError: refused")
        name = url.rsplit("/", 1)[-1]
        stamp, given = headers[HEADER_TIMESTAMP], headers[HEADER_SIGNATURE]
        assert verify(SECRETS[name], stamp, body, given)
        assert decode(body).id == headers[HEADER_EVENT_ID]
        self.took.setdefault(name, []).append(decode(body).id)
        return 200


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def settings(**changes: object) -> WebhookSettings:
    endpoints = (
        WebhookEndpoint(name="billing", url="http://127.0.0.1:9/billing", secret_env="B"),
        WebhookEndpoint(name="crm", url="http://127.0.0.1:9/crm", secret_env="C"),
    )
    values: dict[str, object] = {"endpoints": endpoints, "jitter": 0.0, "retry_min_delay": 5.0}
    values.update(changes)
    return WebhookSettings.model_validate(values)


async def readings(db: Database, count: int) -> list[str]:
    """Store ``count`` readings; their event ids in order."""
    store = ReadingStore(db)
    for n in range(count):
        draft = ReadingDraft(None, "100000000001", "M1", 1, f"2026-0{n + 1}", 100 + n, 100)
        await store.submit(draft, at=NOW)
    return [event_id for event_id, _kind in await WebhookStore(db).events()]


async def outbox(
    db: Database, receiver: Receiver, clock: Clock, config: WebhookSettings
) -> WebhookOutbox:
    return WebhookOutbox(
        config,
        WebhookStore(db),
        receiver,
        SECRETS,
        clock=clock,
        rand=lambda: 0.0,  # type: ignore[arg-type]
    )


async def test_in_order_and_the_head_blocks_only_its_endpoint(db: Database) -> None:
    await db.upgrade()
    receiver, clock = Receiver(), Clock()
    box = await outbox(db, receiver, clock, settings())
    ids = await readings(db, 3)
    receiver.down.add("http://127.0.0.1:9/billing")
    await box.deliver_due()
    assert receiver.took == {"crm": ids}  # billing is down; crm is not held up
    # billing's head waits 5 s for its retry: its line waits too, nothing more is tried.
    tries = receiver.tries
    receiver.down.clear()
    await box.deliver_due()
    assert receiver.tries == tries and "billing" not in receiver.took
    clock.now += timedelta(seconds=5)
    await box.deliver_due()
    assert receiver.took == {"crm": ids, "billing": ids}  # every event once, in order
    await box.deliver_due()
    assert receiver.took == {"crm": ids, "billing": ids}
    (head, *_rest) = await WebhookStore(db).deliveries("billing")
    assert head.tries == 2 and head.last_error == "ConnectError: refused"


async def test_back_off_doubles_then_dead_letter_then_retry(db: Database) -> None:
    await db.upgrade()
    receiver, clock = Receiver(), Clock()
    config = settings(max_attempts=3, endpoints=settings().endpoints[:1])
    box = await outbox(db, receiver, clock, config)
    ids = await readings(db, 2)
    receiver.down.add("http://127.0.0.1:9/billing")
    await box.deliver_due()  # try 1 fails: next in 5 s
    store = WebhookStore(db)
    (first, _second) = await store.deliveries("billing")
    assert first.next_try_at == NOW + timedelta(seconds=5)
    clock.now += timedelta(seconds=5)
    await box.deliver_due()  # try 2 fails: next in 10 s
    (first, _second) = await store.deliveries("billing")
    assert first.next_try_at == clock.now + timedelta(seconds=10)
    clock.now += timedelta(seconds=10)
    # Try 3 fails: the head is a dead letter; the second event's first try fails (5 s).
    await box.deliver_due()
    (dead,) = await store.dead_letters("billing")
    assert dead.event_id == ids[0] and dead.tries == 3
    assert dead.last_error == "ConnectError: refused"
    receiver.down.clear()
    clock.now += timedelta(seconds=5)
    await box.deliver_due()
    assert receiver.took == {"billing": [ids[1]]}  # the line moved on past the dead letter

    assert await store.retry(dead.id, ANNA)
    assert not await store.retry(dead.id, ANNA)  # no longer a dead letter
    await box.deliver_due()
    assert receiver.took == {"billing": [ids[1], ids[0]]}
    statuses = {d.event_id: d.status for d in await store.deliveries("billing")}
    assert set(statuses.values()) == {WebhookDeliveryStatus.DELIVERED}
    (entry,) = [e for e in await AuditLog(db).entries() if e.action == "webhook.retry"]
    assert entry.actor == "anna" and entry.detail == {"endpoint": "billing"}


async def test_an_event_too_old_is_a_dead_letter(db: Database) -> None:
    await db.upgrade()
    receiver, clock = Receiver(), Clock()
    config = settings(max_age_hours=1.0, endpoints=settings().endpoints[:1])
    box = await outbox(db, receiver, clock, config)
    await readings(db, 1)
    receiver.down.add("http://127.0.0.1:9/billing")
    clock.now += timedelta(minutes=59, seconds=56)
    await box.deliver_due()
    assert len(await WebhookStore(db).dead_letters()) == 1


async def test_an_endpoint_gets_only_its_kinds(db: Database) -> None:
    await db.upgrade()
    receiver, clock = Receiver(), Clock()
    billing = WebhookEndpoint(
        name="billing",
        url="http://127.0.0.1:9/billing",
        secret_env="B",
        kinds=("appeal.registered",),
    )
    box = await outbox(db, receiver, clock, settings(endpoints=(billing,)))
    await readings(db, 2)
    await box.deliver_due()
    assert receiver.took == {}
    (backlog,) = await WebhookStore(db).backlog(["billing"])
    assert (backlog.pending, backlog.delivered) == (0, 0)
