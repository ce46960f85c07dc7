"""Composition root: the one place where the engine's parts are built and wired together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from dialer.engine import Dialer
from dialer.repository import DialerStore
from hotline.calls.tracker import TRACKED_EVENTS, CallTracker
from hotline.contact_center import operators as operator_service
from hotline.contact_center.emergency import EmergencyProvider, EmergencyStore
from hotline.contact_center.housekeeping import Housekeeping
from hotline.contact_center.outages import (
    CallerOutage,
    OutageProvider,
    outage_for_account,
    outage_for_phone,
)
from hotline.contact_center.queue_tracker import TRACKED_QUEUE_EVENTS, QueueTracker
from hotline.contact_center.schedule import HoursProvider
from hotline.core.clock import utc_now
from hotline.dialplan.names import ROUTE_DIALER, ROUTE_IVR, ROUTE_QUEUE_OVERFLOW
from hotline.settings import AmiRole, Settings
from hotline.speech.library import PromptLibrary
from hotline.store.accounts import AccountStore, ReadingStore
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.event_writer import EventWriter
from hotline.store.menu_drafts import MenuDraftStore
from hotline.store.operators import Operators
from hotline.store.outages import OutageStore
from hotline.store.queue_events import QueueEvents
from hotline.store.recordings import Recordings
from hotline.transport.ami import AmiClient, AmiError, AmiNotConnected
from hotline.transport.fastagi import AgiRoutes, FastAgiServer
from ivr.menu.flow import MenuFlow
from ivr.menu.live import LiveMenu
from ivr.menu.versions import MenuVersions
from ivr.queue_overflow import QueueOverflow
from ivr.self_service import SelfService

log = logging.getLogger(__name__)


class AmiSecretMissing(AmiError):
    pass


def resolve_ami_secret(settings: Settings, role: AmiRole = AmiRole.ENGINE) -> str:
    """``role``'s AMI secret: from settings/environment, else the sandbox's generated one."""
    configured = settings.ami.configured_secret(role)
    if configured is not None:
        return configured
    if settings.sandbox.enabled:
        from hotline.sandbox import ami_secret

        secret = ami_secret(settings, role)
        if secret:
            return secret
    key = "secret" if role is AmiRole.ENGINE else f"{role.value}_secret"
    raise AmiSecretMissing(
        f"no AMI secret for the {role.value}: set HOTLINE_AMI__{key.upper()} (or ami.{key} in "
        "the settings file), or start the sandbox with `hotline sandbox up`"
    )


def ami_client(settings: Settings, role: AmiRole) -> AmiClient:
    """An AMI connection logged in as ``role``'s own user (its own rights in manager.conf)."""
    return AmiClient(settings.ami, resolve_ami_secret(settings, role), role=role)


class Engine:
    """FastAGI server, AMI connection, call tracker and store, started and stopped together."""

    def __init__(
        self,
        settings: Settings,
        routes: AgiRoutes | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.db = Database.from_settings(settings)
        # Navigation events (prompts, keys, nodes) are committed in batches off the call path.
        self.events = EventWriter(self.db)
        self.call_log = CallLog(self.db, self.events)
        self._events_task: asyncio.Task[None] | None = None
        self.prompts = PromptLibrary(settings)
        self.hours = HoursProvider(self.db, settings.hours)
        self.emergency = EmergencyProvider(EmergencyStore(self.db))
        self.outages = OutageProvider(OutageStore(self.db))
        self.ami = AmiClient(settings.ami, resolve_ami_secret(settings))
        self.routes = routes if routes is not None else AgiRoutes()
        self._custom_routes = routes is not None
        # Asterisk connects from the host whose AMI the engine drives (and from loopback).
        self.server = FastAgiServer(settings.fastagi, self.routes, (settings.ami.host,))
        self._tracker_task: asyncio.Task[None] | None = None
        self.recordings = Recordings(self.db)
        self.operators = Operators(self.db)
        self._queue_task: asyncio.Task[None] | None = None
        self._restore_task: asyncio.Task[None] | None = None
        # Daily jobs (recordings purge) on APScheduler.
        self.housekeeping = Housekeeping(settings, self.recordings)
        self.menus = MenuVersions(self.db)
        self.accounts = AccountStore(self.db)
        self.readings = ReadingStore(self.db)
        self.live_menu = LiveMenu(self.menus, settings, self.prompts, MenuDraftStore(self.db))
        self.flow: MenuFlow | None = None
        self._menu_task: asyncio.Task[None] | None = None
        # The campaign dialer shares AMI and FastAGI; it subscribes before AMI logs in, so the
        # first FullyBooted reconciles attempts left in flight by an earlier run.
        self.dialer: Dialer | None = None
        if settings.dialer.enabled:
            self.dialer = Dialer(
                settings.dialer,
                DialerStore(self.db),
                self.ami,
                self.prompts,
                self.call_log,
                clock=clock,
                say_zero_kopecks=settings.speech.say_zero_kopecks,
                company=settings.speech.company_name,
                operator_key=settings.ivr.operator_key,
                # Outside operator hours 0 does not reach the queue.
                hours=self.hours.current,
                callbacks=CallbackStore(self.db),
                # Intros greet by the callee's time of day, as the IVR does.
                greeting=settings.greeting,
            )
        self._dialer_task: asyncio.Task[None] | None = None

    async def _caller_outage(self, phone: str | None) -> CallerOutage | None:
        """R-097, R-032: the open outage at the address of an account of this caller ID."""
        return await outage_for_phone(await self.outages.open_outages(), self.accounts, phone)

    async def _account_outage(self, number: str) -> CallerOutage | None:
        """R-097, R-032: the open outage at this account's address (a typed account)."""
        return await outage_for_account(await self.outages.open_outages(), self.accounts, number)

    async def start(self) -> None:
        await self.db.upgrade()
        self._events_task = asyncio.create_task(self.events.run(), name="call-events")
        menu = await self.live_menu.load()
        if not self._custom_routes:
            # The IVR routes get their repositories here, never from the call log's database.
            callbacks = CallbackStore(self.db)
            flow = MenuFlow(
                menu,
                self.settings,
                self.call_log,
                self.prompts,
                self.hours.current,
                self.emergency.current,
                SelfService(
                    self.settings,
                    self.accounts,
                    self.readings,
                    outages=self._account_outage,
                    library=self.prompts,
                ),
                recordings=self.recordings,
                callbacks=callbacks,
                outages=self._caller_outage,
                drafts=self.live_menu.draft,
            )
            flow.use(menu, self.live_menu.version)
            self.routes.add(ROUTE_IVR, flow)
            overflow = QueueOverflow(
                self.settings,
                self.call_log,
                self.prompts,
                queue_events=QueueEvents(self.db),
                callbacks=callbacks,
            )
            self.routes.add(ROUTE_QUEUE_OVERFLOW, overflow)
            self.flow = flow
            self._menu_task = asyncio.create_task(self.live_menu.watch(flow), name="menu-reload")
        tracker = CallTracker(
            self.ami.subscribe(TRACKED_EVENTS), self.call_log, self._live_channels
        )
        self._tracker_task = asyncio.create_task(tracker.run(), name="call-tracker")
        if self.dialer is not None:
            if ROUTE_DIALER not in self.routes:
                self.routes.add(ROUTE_DIALER, self.dialer)
            self._dialer_task = asyncio.create_task(self._supervise_dialer(), name="dialer")
        queue_tracker = QueueTracker(
            self.ami.subscribe(TRACKED_QUEUE_EVENTS),
            QueueEvents(self.db),
            self.recordings,
            self.call_log,
        )
        self._queue_task = asyncio.create_task(queue_tracker.run(), name="queue-tracker")
        self._restore_task = asyncio.create_task(self._restore_operators(), name="operators")
        self.housekeeping.start()
        # Calls can be served before AMI is up; AMI keeps reconnecting in the background.
        await self.ami.start(wait=False)
        await self.server.start()
        log.info(
            "engine up: FastAGI on %s:%s, AMI %s:%s",
            self.settings.fastagi.host,
            self.server.bound_port,
            self.settings.ami.host,
            self.settings.ami.port,
        )

    async def reload_hours(self) -> None:
        """Forget cached operator hours (after an override was changed)."""
        self.hours.invalidate()

    async def reload_emergency(self) -> None:
        """Forget the cached emergency state (after it was switched)."""
        self.emergency.invalidate()

    async def reload_menu(self) -> int | None:
        """Check for a newly published menu version now; new calls get it, calls in progress
        keep theirs.  A version that breaks the rules is logged and ignored.  Returns the
        version new calls get (None: the menu file)."""
        return await self.live_menu.reload(self.flow)

    async def _supervise_dialer(self) -> None:
        assert self.dialer is not None
        while True:
            try:
                await self.dialer.run()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("campaign dialer failed; restarting it")
                await asyncio.sleep(1.0)

    async def _restore_operators(self) -> None:
        """Logged-in operators back into the queue after every AMI (re)login: Asterisk keeps
        no queue members over a restart."""
        seen = 0
        while True:
            try:
                await self.ami.wait_connected(3600)
                if self.ami.login_count != seen:
                    seen = self.ami.login_count
                    restored = await operator_service.restore(
                        self.ami, self.operators, self.settings
                    )
                    if restored:
                        log.info("%d operators back in the queue", restored)
            except asyncio.CancelledError:
                raise
            except AmiNotConnected:
                continue  # still no AMI: the client keeps reconnecting; wait again
            except Exception:
                log.exception("could not restore the operators to the queue; retrying")
            await asyncio.sleep(2.0)

    async def _live_channels(self) -> set[str]:
        return {channel.uniqueid for channel in await self.ami.core_show_channels()}

    async def stop(self) -> None:
        # Calls first (they may still write to the call log), then the tracker, AMI, store.
        await self.server.stop()
        if self._dialer_task is not None:
            self._dialer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dialer_task
        if self._menu_task is not None:
            self._menu_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._menu_task
        self.housekeeping.stop()
        if self._events_task is not None:
            await self.events.flush()
        for task in (self._tracker_task, self._queue_task, self._restore_task, self._events_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.ami.stop()
        await self.db.dispose()
        log.info("engine stopped")

    async def run_until_signalled(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()


@contextlib.asynccontextmanager
async def running_engine(settings: Settings) -> AsyncIterator[Engine]:
    engine = Engine(settings)
    await engine.start()
    try:
        yield engine
    finally:
        await engine.stop()


async def fastagi_listening(settings: Settings, within: float = 1.0) -> bool:
    """Is an engine already serving FastAGI at the configured address?"""
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(settings.fastagi.host, settings.fastagi.port), within
        )
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
