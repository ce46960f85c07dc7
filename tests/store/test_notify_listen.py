"""LISTEN/NOTIFY across engines (issue 20): a NOTIFY sent in one engine's committed
transaction wakes another engine's waiter; one rolled back wakes nobody; the listener comes
back after its connection is killed and says so (a reconnect wakes every waiter)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from hotline.core.clock import utc_now
from hotline.protocol import webhooks as wh
from hotline.store.db import Database
from hotline.store.notify import (
    APPLICATION_NAME,
    Listener,
    NotifyChannel,
    Waker,
    WakeReason,
    announce,
)
from hotline.store.webhooks import add_event, new_event_id
from tests.store.conftest import PG_TEST_URL, clean_postgres

pytestmark = [pytest.mark.postgres]


class Rollback(Exception):
    pass


@pytest.fixture
async def two() -> AsyncIterator[tuple[Database, Listener]]:
    """The first engine's store, the second engine's listener (running, connected)."""
    db = Database(PG_TEST_URL)
    listener = Listener(db.url, retry=0.05)
    task = asyncio.create_task(listener.run())
    await listener.wait_connected(10)
    yield db, listener
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await db.dispose()


async def test_a_committed_notify_wakes_the_other_engine(two: tuple[Database, Listener]) -> None:
    db, listener = two
    dialer, hooks = listener.waker(NotifyChannel.DIALER), listener.waker(NotifyChannel.WEBHOOKS)
    assert dialer.live and dialer.interval(1.0, 15.0) == 15.0
    async with db.session() as session:
        await announce(session, NotifyChannel.DIALER, WakeReason.CAMPAIGN_STARTED)
        # Not before the commit.
        assert await dialer.wait(0.3) is None
    assert await dialer.wait(10) is WakeReason.CAMPAIGN_STARTED
    assert dialer.reasons == {WakeReason.CAMPAIGN_STARTED: 1}
    assert not hooks.reasons  # another channel's waiter is not woken


async def test_a_rolled_back_notify_wakes_nobody(two: tuple[Database, Listener]) -> None:
    db, listener = two
    dialer = listener.waker(NotifyChannel.DIALER)
    with pytest.raises(Rollback):
        async with db.session() as session:
            await announce(session, NotifyChannel.DIALER, WakeReason.CAMPAIGN_CHANGED)
            raise Rollback
    # A later committed one arrives, the rolled-back one never did.
    async with db.session() as session:
        await announce(session, NotifyChannel.DIALER, WakeReason.CONTACTS_ADDED)
    assert await dialer.wait(10) is WakeReason.CONTACTS_ADDED
    assert dialer.reasons == {WakeReason.CONTACTS_ADDED: 1}


async def test_the_listener_reconnects_and_wakes_everyone(
    two: tuple[Database, Listener],
) -> None:
    db, listener = two
    live = listener.waker(NotifyChannel.LIVE)
    async with db.session() as session:
        await session.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = :name"
            ),
            {"name": APPLICATION_NAME},
        )
    assert await live.wait(10) is WakeReason.RECONNECTED
    assert listener.connections == 2 and listener.connected
    async with db.session() as session:
        await announce(session, NotifyChannel.LIVE, WakeReason.OPERATOR_CHANGED)
    assert await live.wait(10) is WakeReason.OPERATOR_CHANGED


async def test_sqlite_announces_nothing_and_wakers_poll(tmp_path: object) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/n.db")
    async with db.session() as session:
        await announce(session, NotifyChannel.DIALER, WakeReason.CAMPAIGN_STARTED)
    await db.dispose()
    waker = Waker()
    assert not waker.live and waker.interval(1.0, 15.0) == 1.0
    assert await waker.wait(0.01) is None


async def test_a_webhook_event_wakes_the_delivering_worker_at_its_commit(
    two: tuple[Database, Listener],
) -> None:
    db, listener = two
    await clean_postgres(PG_TEST_URL)
    await db.upgrade()
    hooks = listener.waker(NotifyChannel.WEBHOOKS)
    with pytest.raises(Rollback):
        async with db.session() as session:
            add_event(session, ping())
            await session.flush()
            raise Rollback
    async with db.session() as session:
        add_event(session, ping())
        await session.flush()
        assert await hooks.wait(0.3) is None  # written, not committed: nothing yet
    assert await hooks.wait(10) is WakeReason.WEBHOOK_EVENT
    assert hooks.reasons == {WakeReason.WEBHOOK_EVENT: 1}


def ping() -> wh.Ping:
    return wh.Ping(id=new_event_id(), at=utc_now(), data=wh.PingData(message="notify"))
