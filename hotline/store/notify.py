"""Wake-ups across processes on PostgreSQL: LISTEN/NOTIFY (issue 20).

A change that others should act on at once (a campaign started or paused, contacts added, a
webhook event written, a queue, operator or callback change the console's live pages show)
calls ``announce`` inside the transaction that makes it: PostgreSQL delivers a NOTIFY only
when that transaction commits, and never when it rolls back, so nothing is announced before
it is visible.  Each process holds one ``Listener``: a dedicated psycopg connection (not a
pooled one: LISTEN belongs to the session) that LISTENs on every channel, reconnects with
back-off, and wakes the ``Waker`` objects subscribed to a channel.  A waker's owner still
polls, at its longer fallback interval while the listener is connected and at its usual
short one while it is not (and always on SQLite, where nothing is announced).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from enum import StrEnum
from typing import Final, Self

import psycopg
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from hotline.core.metrics import NOTIFY_CONNECTED, NOTIFY_WAKEUPS
from hotline.settings.notify import NotifySettings

log = logging.getLogger(__name__)


class NotifyChannel(StrEnum):
    """The NOTIFY channels (fixed names: every process LISTENs on all of them)."""

    DIALER = "hotline_dialer"  # campaigns started, paused, resumed, stopped; contacts added
    WEBHOOKS = "hotline_webhooks"  # a webhook event was written
    LIVE = "hotline_live"  # the console's live pages: queue, operator and callback changes


class WakeReason(StrEnum):
    """Why a waker was woken (the NOTIFY payload; counted by the waker)."""

    CAMPAIGN_STARTED = "campaign-started"
    CAMPAIGN_CHANGED = "campaign-changed"
    CONTACTS_ADDED = "contacts-added"
    WEBHOOK_EVENT = "webhook-event"
    QUEUE_CHANGED = "queue-changed"
    OPERATOR_CHANGED = "operator-changed"
    CALLBACK_CHANGED = "callback-changed"
    # The listener (re)connected: anything may have been missed meanwhile.
    RECONNECTED = "reconnected"


NOTIFY_SQL: Final = text("SELECT pg_notify(:channel, :reason)")
# How long the listener waits for a notification before it checks its connection.
CHECK_SECONDS: Final = 30.0
CONNECT_TIMEOUT: Final = 5
# The listener's connection in pg_stat_activity.
APPLICATION_NAME: Final = "hotline-notify"


async def announce(session: AsyncSession, channel: NotifyChannel, reason: WakeReason) -> None:
    """NOTIFY ``channel`` in ``session``'s transaction (sent when, and if, it commits).
    Nothing on SQLite: one process, its owners poll."""
    if session.get_bind().dialect.name != "postgresql":
        return
    await session.execute(NOTIFY_SQL, {"channel": channel.value, "reason": reason.value})


def announce_at_commit(session: AsyncSession, channel: NotifyChannel, reason: WakeReason) -> None:
    """``announce`` for code that only adds rows (no await): the NOTIFY is sent just before
    ``session`` commits, in the same transaction."""
    sync = session.sync_session
    if sync.get_bind().dialect.name != "postgresql":
        return
    sync.info.setdefault(_PENDING, set()).add((channel, reason))
    if not sa_event.contains(sync, "before_commit", _send_pending):
        sa_event.listen(sync, "before_commit", _send_pending)


_PENDING: Final = "hotline_notify_pending"


def _send_pending(sync: Session) -> None:
    # Runs inside the async session's commit (its greenlet): blocking calls are bridged.
    for channel, reason in sorted(sync.info.pop(_PENDING, ())):
        sync.execute(NOTIFY_SQL, {"channel": channel.value, "reason": reason.value})


class Waker:
    """An owner's wake-up: ``wait`` returns when woken (the reason) or after its interval."""

    def __init__(self, listener: Listener | None = None) -> None:
        self._listener = listener
        self._event = asyncio.Event()
        self._reason: WakeReason | None = None
        # How often each reason woke it (tests and the logs read it).
        self.reasons: Counter[WakeReason] = Counter()

    @property
    def live(self) -> bool:
        """Whether notifications arrive now (the fallback poll may be long)."""
        return self._listener is not None and self._listener.connected

    def interval(self, short: float, fallback: float) -> float:
        """The poll interval to use now: ``fallback`` while notifications arrive."""
        return max(short, fallback) if self.live else short

    def wake(self, reason: WakeReason) -> None:
        self.reasons[reason] += 1
        self._reason = reason
        self._event.set()

    async def wait(self, within: float) -> WakeReason | None:
        """The reason of the latest wake-up since the last wait, or None after ``within``
        seconds."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._event.wait()
        self._event.clear()
        reason, self._reason = self._reason, None
        return reason


def conninfo(url: URL) -> str:
    """A libpq connection string for a SQLAlchemy PostgreSQL URL."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    """One per process: LISTENs on every channel and wakes the wakers subscribed to it.
    On SQLite, or when ``enabled`` is off, ``run`` returns at once: the wakers poll."""

    def __init__(
        self, url: URL, *, retry: float = 1.0, max_retry: float = 30.0, enabled: bool = True
    ) -> None:
        self.enabled = enabled and url.get_backend_name() == "postgresql"
        self._conninfo = conninfo(url) if self.enabled else ""
        self._retry = retry
        self._max_retry = max_retry
        self._wakers: dict[NotifyChannel, list[Waker]] = {channel: [] for channel in NotifyChannel}
        self._connected = asyncio.Event()
        self.connections = 0

    @classmethod
    def from_settings(cls, url: URL, settings: NotifySettings) -> Self:
        return cls(
            url,
            retry=settings.retry_seconds,
            max_retry=settings.max_retry_seconds,
            enabled=settings.enabled,
        )

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def wait_connected(self, within: float) -> None:
        async with asyncio.timeout(within):
            await self._connected.wait()

    def waker(self, channel: NotifyChannel) -> Waker:
        """A new waker woken by ``channel``'s notifications."""
        waker = Waker(self)
        self._wakers[channel].append(waker)
        return waker

    def remove(self, waker: Waker) -> None:
        for wakers in self._wakers.values():
            if waker in wakers:
                wakers.remove(waker)

    def _wake(self, channel: str, payload: str) -> None:
        try:
            wakers, reason = self._wakers[NotifyChannel(channel)], WakeReason(payload)
        except ValueError:
            log.warning("notify: unknown notification on %s", channel)
            return
        NOTIFY_WAKEUPS.labels(channel, reason.value).inc()
        for waker in list(wakers):
            waker.wake(reason)

    async def run(self) -> None:
        """Until cancelled: listen; after a lost connection, reconnect with back-off."""
        failures = 0
        while self.enabled:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except (psycopg.Error, OSError) as exc:
                # Back-off grows while connecting fails; a lost live connection starts over.
                failures = 1 if self.connected else failures + 1
                self._connected.clear()
                delay = min(self._max_retry, self._retry * 2 ** min(failures - 1, 10))
                log.warning("notify: listener connection lost (%s); again in %.0f s", exc, delay)
                await asyncio.sleep(delay)
            finally:
                self._connected.clear()
                NOTIFY_CONNECTED.set(0)

    async def _listen(self) -> None:
        conn = await psycopg.AsyncConnection.connect(
            self._conninfo,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT,
            application_name=APPLICATION_NAME,
        )
        async with conn:
            for channel in NotifyChannel:
                await conn.execute(f'LISTEN "{channel.value}"')  # fixed names, no input
            self.connections += 1
            self._connected.set()
            NOTIFY_CONNECTED.set(1)
            if self.connections > 1:  # what was announced while we were away is missed
                for channel in NotifyChannel:
                    self._wake(channel.value, WakeReason.RECONNECTED.value)
            log.info("notify: listening on %d channels", len(NotifyChannel))
            while True:
                async for note in conn.notifies(timeout=CHECK_SECONDS):
                    self._wake(note.channel, note.payload)
                await conn.execute("SELECT 1")  # a dead connection raises here
