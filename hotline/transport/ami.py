"""The AMI connection: panoramisk 1.4 behind a thin adapter.

panoramisk parses the wire protocol well; what it gets wrong for an engine that lives on events
is patched here rather than forked:

* its reconnect is a fixed delay (``call_later``); ours is a supervised task with exponential
  backoff, and a *checked* ping (panoramisk's pinger never reads the reply);
* it runs event callbacks inside ``data_received`` and wraps coroutines with a bare
  ``ensure_future``; ours only copies the event into bounded per-consumer queues, so the socket
  reader never stalls (Asterisk drops AMI clients that stop reading for 100 ms);
* it replays actions sent before a disconnect once Asterisk is back (a second Originate for a
  dialer); ours fails them instead;
* PlayDTMF (and any reply ending in "successfully queued" without an ``Async`` header) crashes
  its parser unless sent with ``as_list=False`` (gawel/panoramisk#97).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from panoramisk import Manager
from panoramisk.message import Message

from hotline.core.metrics import AMI_RECONNECTS, mark_ami_connected
from hotline.protocol.ami import AmiEvent
from hotline.settings import AmiRole, AmiSettings
from hotline.transport.ami_errors import AmiActionFailed as AmiActionFailed
from hotline.transport.ami_errors import AmiError as AmiError
from hotline.transport.ami_errors import AmiLoginRefused as AmiLoginRefused
from hotline.transport.ami_errors import AmiNotConnected as AmiNotConnected
from hotline.transport.ami_errors import AmiNotSent as AmiNotSent
from hotline.transport.ami_errors import AmiValueRefused as AmiValueRefused
from hotline.transport.ami_events import Subscription as Subscription
from hotline.transport.ami_events import Subscriptions
from hotline.transport.ami_events import consume as consume
from hotline.transport.ami_events import consume_batches as consume_batches
from hotline.transport.ami_events import user_event as user_event
from hotline.transport.ami_wire import SHUTDOWN_EVENT, BoundedAmiProtocol, checked_headers

log = logging.getLogger(__name__)


def _retrieved(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


@dataclass
class _State:
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    lost: asyncio.Event = field(default_factory=asyncio.Event)
    logins: int = 0
    # Counted before each connection is made, so every event carries the count of its own.
    connections: int = 0


class _Manager(Manager):  # type: ignore[misc]
    """panoramisk's Manager with its own reconnect, pinger and dispatch switched off."""

    def __init__(self, client: AmiClient, **config: Any) -> None:
        super().__init__(**config)
        self._client = client

    def connection_made(self, f: asyncio.Future[Any]) -> None:
        if f.cancelled() or f.exception() is not None:
            return  # the supervisor sees the failure and schedules the retry
        super().connection_made(f)

    def connection_lost(self, exc: object) -> None:
        self._connected = False
        self.authenticated = False
        self._client._on_connection_lost()

    def ping(self) -> None:  # the supervisor pings and checks the reply
        pass

    def dispatch(self, event: Message) -> list[str]:
        self._client._on_event(event)
        return []

    def dispatch_frame(self, frame: str) -> bool:  # asked by BoundedAmiProtocol first
        return self._client._on_event_frame(frame)

    def wants_event(self, name: str) -> bool:  # asked by BoundedAmiProtocol before parsing
        return self._client.wants_event(name)


class AmiClient:
    """One logged-in AMI connection that comes back by itself after Asterisk restarts."""

    def __init__(
        self, settings: AmiSettings, secret: str, *, role: AmiRole = AmiRole.ENGINE
    ) -> None:
        self._settings = settings
        self._secret = secret
        # Each process logs in as its own AMI user, with only the rights its role needs.
        self._username = settings.user(role)
        self._subs = Subscriptions()
        self._state = _State()
        self._manager: _Manager | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False

    # --- lifecycle -------------------------------------------------------------------------
    async def start(self, *, wait: bool = True) -> None:
        if self._supervisor is None:
            self._supervisor = asyncio.create_task(self._supervise(), name="ami-supervisor")
        if wait:
            await self.wait_connected(self._settings.connect_timeout * 3)

    async def stop(self) -> None:
        self._stopping = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        self._close_manager()

    async def __aenter__(self) -> AmiClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def connected(self) -> bool:
        return self._state.connected.is_set()

    @property
    def node(self) -> str:
        """The Asterisk this client talks to, as the metrics label it."""
        return f"{self._settings.host}:{self._settings.port}"

    @property
    def login_count(self) -> int:
        """How many times we logged in: more than 1 means we reconnected."""
        return self._state.logins

    @property
    def connection_count(self) -> int:
        """How many connections were begun: any event received came on the last of them."""
        return self._state.connections

    async def wait_connected(self, within: float) -> None:
        try:
            async with asyncio.timeout(within):
                await self._state.connected.wait()
        except TimeoutError as exc:
            raise AmiNotConnected(
                f"no AMI connection to {self._settings.host}:{self._settings.port} "
                f"after {within:.0f} s"
            ) from exc

    async def _supervise(self) -> None:
        delay = self._settings.reconnect_min_delay
        failures = 0
        while not self._stopping:
            try:
                await self._connect_and_login()
            except (OSError, TimeoutError, AmiError) as exc:
                failures += 1
                if failures in (1, 5) or failures % 50 == 0:
                    log.warning("AMI connect failed (attempt %d): %s", failures, exc or type(exc))
            else:
                failures = 0
                delay = self._settings.reconnect_min_delay
                self._state.logins += 1
                self._state.connected.set()
                self._widen_mask()  # a subscription made during the login
                mark_ami_connected(self.node, id(self), connected=True)
                if self._state.logins > 1:
                    AMI_RECONNECTS.labels(self.node).inc()
                log.info("AMI logged in to %s:%s", self._settings.host, self._settings.port)
                await self._watch()
                log.warning("AMI connection lost; reconnecting")
            finally:
                if self._state.connected.is_set():
                    mark_ami_connected(self.node, id(self), connected=False)
                self._state.connected.clear()
                self._close_manager()
            # Jitter keeps several engines from reconnecting in lockstep after a restart.
            await asyncio.sleep(delay * (0.8 + 0.4 * random.random()))
            delay = min(delay * 2, self._settings.reconnect_max_delay)

    async def _connect_and_login(self) -> None:
        self._state.lost.clear()
        self._state.connections += 1
        manager = _Manager(
            self,
            host=self._settings.host,
            port=self._settings.port,
            username=self._username,
            secret=self._secret,
            events=self._subs.login_mask(),  # only the classes the subscriptions take
            loop=asyncio.get_running_loop(),
            ping_delay=86_400,
            forgetable_actions=(),
            protocol_factory=BoundedAmiProtocol,
        )
        self._manager = manager
        async with asyncio.timeout(self._settings.connect_timeout):
            await manager.connect()
        login = manager.authenticated_future
        if login is None:
            raise AmiNotConnected("AMI connection closed during login")
        async with asyncio.timeout(self._settings.connect_timeout):
            reply = await asyncio.shield(login)
        if not reply.success:
            raise AmiLoginRefused(
                f"AMI login refused for user {self._username!r}: {reply.message}"
            )

    async def _watch(self) -> None:
        """Return when the connection is lost or stops answering pings."""
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._settings.ping_interval):
                    await self._state.lost.wait()
            if self._state.lost.is_set():
                return
            try:
                await self.action({"Action": "Ping"})
            except (AmiError, TimeoutError):
                log.warning("AMI ping unanswered; dropping the connection")
                return

    def _close_manager(self) -> None:
        manager, self._manager = self._manager, None
        if manager is None:
            return
        manager.close()
        # Never replay actions sent before the drop: a replayed Originate dials twice.
        while manager.awaiting_actions:
            action = manager.awaiting_actions.popleft()
            if not action.future.done():
                action.future.set_exception(AmiNotConnected("AMI connection lost"))

    def _on_connection_lost(self) -> None:
        self._state.connected.clear()
        self._state.lost.set()

    # --- events ----------------------------------------------------------------------------
    def subscribe(
        self, names: Iterable[str] | None = None, maxsize: int | None = None
    ) -> Subscription:
        """Events named in ``names`` (all if None) go to the returned subscription's queue."""
        wanted = frozenset(n.lower() for n in names) if names is not None else None
        sub = self._subs.add(wanted, maxsize or self._settings.event_queue_size)
        self._widen_mask()
        return sub

    def _widen_mask(self) -> None:
        """Ask Asterisk for the classes a new subscription takes that the session lacks."""
        if self.connected and (mask := self._subs.wider_mask()) is not None:
            headers = {"Action": "Events", "EventMask": mask}
            with contextlib.suppress(AmiNotSent):  # not sent: the next login asks for it
                reply = self._reply(headers, self._write(headers, None), None)
                asyncio.ensure_future(reply).add_done_callback(_retrieved)

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.remove(sub)

    def wants_event(self, name: str) -> bool:
        """Whether a subscription takes events named ``name`` (the reader skips the others)."""
        return self._subs.wanted is None or name.lower() in self._subs.wanted

    def _on_event_frame(self, frame: str) -> bool:
        """An event without an ActionID, handed over as received: parsed in one pass and
        offered (True), or left to panoramisk's reader (False: Shutdown, which it acts on,
        and what ``AmiEvent.from_frame`` does not take)."""
        if not self._subs.all:
            return False
        event = AmiEvent.from_frame(frame, time.monotonic())
        if event is None or event.name.lower() == SHUTDOWN_EVENT:
            return False
        for sub in self._subs.all:
            sub.offer(event)
        return True

    def _on_event(self, message: Message) -> None:
        if not self._subs.all:
            return
        event = AmiEvent.from_headers(message.items(), time.monotonic())
        for sub in self._subs.all:
            sub.offer(event)

    # --- actions ---------------------------------------------------------------------------
    async def action(
        self,
        headers: Mapping[str, Any],
        *,
        as_list: bool | None = False,
        reply_within: float | None = None,
    ) -> Any:
        """Send an action; returns the reply (a list of messages when ``as_list``).

        Every header name and value is checked first (``checked_headers``): one bad value
        refuses the whole action with AmiValueRefused and nothing is written."""
        return await self._reply(headers, self._write(headers, as_list), reply_within)

    def _write(self, headers: Mapping[str, Any], as_list: bool | None) -> asyncio.Future[Any]:
        """Write the action now, before any yield; the future receives its reply."""
        checked = checked_headers(headers)
        manager = self._manager
        if manager is None or not self.connected:
            raise AmiNotSent("AMI is not connected")
        future: asyncio.Future[Any] = manager.send_action(checked, as_list=as_list)
        return future

    async def _reply(
        self, headers: Mapping[str, Any], future: asyncio.Future[Any], within: float | None
    ) -> Any:
        try:
            async with asyncio.timeout(within or self._settings.action_timeout):
                reply = await future
        except TimeoutError as exc:
            raise AmiNotConnected(f"AMI action {headers.get('Action')} timed out") from exc
        first = reply[0] if isinstance(reply, list) else reply
        if first.response == "Error":
            raise AmiActionFailed(str(headers.get("Action")), first.message)
        return reply

    async def _event_list(self, headers: Mapping[str, Any], complete: str) -> list[AmiEvent]:
        """Actions answered by a list of events ending in ``complete``."""
        reply = await self.action(headers, as_list=True)
        messages = reply if isinstance(reply, list) else [reply]
        return [
            AmiEvent.from_headers(m.items())
            for m in messages
            if "event" in m and m.event != complete
        ]

    def send_originate(
        self,
        channel: str,
        *,
        context: str | None = None,
        exten: str | None = None,
        priority: int = 1,
        application: str | None = None,
        data: str | None = None,
        caller_id: str | None = None,
        variables: Mapping[str, str] | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        timeout_ms: int = 30_000,
        action_id: str | None = None,
    ) -> asyncio.Task[str]:
        """Write an Originate now, before returning (no yield between a caller's last
        commit and the write: a dialer killed there would leave a call marked sent that
        never went out); returns the task awaiting its reply, which gives the ActionID the
        OriginateResponse will carry.  Raises AmiNotSent (nothing written) when AMI is down.

        ``channel_id`` becomes the new channel's uniqueid, so every later event of the call
        maps to our own record without a lookup.
        """
        action_id = action_id or channel_id or uuid.uuid4().hex
        headers: dict[str, Any] = {
            "Action": "Originate",
            "ActionID": action_id,
            "Channel": channel,
            "Async": "true",
            "Timeout": str(timeout_ms),
        }
        if application is not None:
            headers["Application"] = application
            if data is not None:
                headers["Data"] = data
        else:
            if context is None or exten is None:
                raise ValueError("originate needs either application or context and exten")
            headers.update(Context=context, Exten=exten, Priority=str(priority))
        if caller_id is not None:
            headers["CallerID"] = caller_id
        if channel_id is not None:
            headers["ChannelId"] = channel_id
        if other_channel_id is not None:
            headers["OtherChannelId"] = other_channel_id
        if variables:
            headers["Variable"] = [f"{k}={v}" for k, v in variables.items()]
        # as_list=False: resolve on "Originate successfully queued"; the OriginateResponse
        # then arrives as an ordinary event for the subscribers.
        future = self._write(headers, as_list=False)

        async def queued() -> str:
            await self._reply(headers, future, None)
            return action_id

        # A task, not a bare coroutine: a caller stopped before awaiting it leaves nothing
        # un-awaited, and the reply nobody waits for any more is not logged as an error.
        reply = asyncio.ensure_future(queued())
        reply.add_done_callback(_retrieved)
        return reply

    async def originate(self, channel: str, **options: Any) -> str:
        """Start a call asynchronously (``send_originate``, its reply awaited)."""
        return await self.send_originate(channel, **options)

    async def hangup(self, channel: str, cause: int | None = None) -> None:
        headers: dict[str, Any] = {"Action": "Hangup", "Channel": channel}
        if cause is not None:
            headers["Cause"] = str(cause)
        await self.action(headers)

    async def play_dtmf(self, channel: str, digit: str, duration_ms: int | None = None) -> None:
        headers: dict[str, Any] = {"Action": "PlayDTMF", "Channel": channel, "Digit": digit}
        if duration_ms is not None:
            headers["Duration"] = str(duration_ms)
        await self.action(headers, as_list=False)

    async def getvar(self, channel: str, variable: str) -> str | None:
        reply = await self.action({"Action": "Getvar", "Channel": channel, "Variable": variable})
        value = reply.get("Value")
        return None if value in (None, "", "(null)") else str(value)

    async def queue_add(
        self,
        queue: str,
        interface: str,
        *,
        member_name: str | None = None,
        penalty: int = 0,
        paused: bool = False,
        state_interface: str | None = None,
    ) -> None:
        headers: dict[str, Any] = {
            "Action": "QueueAdd",
            "Queue": queue,
            "Interface": interface,
            "Penalty": str(penalty),
            "Paused": "true" if paused else "false",
        }
        if member_name:
            headers["MemberName"] = member_name
        if state_interface:
            headers["StateInterface"] = state_interface
        await self.action(headers)

    async def queue_remove(self, queue: str, interface: str) -> None:
        await self.action({"Action": "QueueRemove", "Queue": queue, "Interface": interface})

    async def queue_pause(
        self, queue: str | None, interface: str, paused: bool, reason: str | None = None
    ) -> None:
        headers: dict[str, Any] = {
            "Action": "QueuePause",
            "Interface": interface,
            "Paused": "true" if paused else "false",
        }
        if queue:
            headers["Queue"] = queue
        if reason:
            headers["Reason"] = reason
        await self.action(headers)

    async def queue_status(self, queue: str | None = None) -> list[AmiEvent]:
        headers: dict[str, Any] = {"Action": "QueueStatus"}
        if queue:
            headers["Queue"] = queue
        return await self._event_list(headers, "QueueStatusComplete")

    async def queue_summary(self, queue: str | None = None) -> list[AmiEvent]:
        headers: dict[str, Any] = {"Action": "QueueSummary"}
        if queue:
            headers["Queue"] = queue
        return await self._event_list(headers, "QueueSummaryComplete")

    async def core_show_channels(self) -> list[AmiEvent]:
        return await self._event_list({"Action": "CoreShowChannels"}, "CoreShowChannelsComplete")

    async def command(self, command: str) -> str:
        """Run a CLI command; returns its output text."""
        reply = await self.action({"Action": "Command", "Command": command})
        output = reply.get("Output")
        if isinstance(output, list):
            return "\n".join(output)
        return str(output or reply.content or "")

    async def ping(self) -> None:
        await self.action({"Action": "Ping"})
