"""Composition root: the one place where the engine's parts are built and wired together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime
from functools import partial
from typing import Any

from dialer.build import dialer_factory
from dialer.engine import Dialer
from dialer.scheduled import ScheduleRunner
from dialer.taken_node import NodeTakeover, node_takeover
from dialer.workers import Heartbeat, WorkerPresence, dialer_worker, node_keeper
from hotline.appeals.notify import appeal_notices
from hotline.appeals.register import Appeals
from hotline.calls.tracker import TRACKED_EVENTS, CallTracker
from hotline.contact_center import callbacks as callbacks_domain
from hotline.contact_center import desk
from hotline.contact_center import operators as operator_service
from hotline.contact_center.callback_dial import EVENTS as DIAL_EVENTS
from hotline.contact_center.callback_dial import CallbackDialTracker
from hotline.contact_center.emergency import EmergencyProvider, EmergencyStore
from hotline.contact_center.housekeeping import Housekeeping
from hotline.contact_center.live_metrics import start_sampling
from hotline.contact_center.outages import (
    CallerOutage,
    OutageProvider,
    outage_for_account,
    outage_for_phone,
)
from hotline.contact_center.quality import QUALITY_EVENTS, QualityTracker
from hotline.contact_center.queue_tracker import TRACKED_QUEUE_EVENTS, QueueTracker
from hotline.contact_center.recording_index import keep_index
from hotline.contact_center.schedule import HoursProvider
from hotline.contact_center.transfers import TRANSFER_EVENTS, TransferTracker
from hotline.core.clock import utc_now
from hotline.core.heap import freeze_heap
from hotline.credentials import AmiSecretMissing as AmiSecretMissing
from hotline.credentials import SmsPasswordMissing as SmsPasswordMissing
from hotline.credentials import ami_client as ami_client
from hotline.credentials import node_ami_client, resolve_webhook_secrets
from hotline.credentials import resolve_ami_secret as resolve_ami_secret
from hotline.credentials import resolve_sms_password as resolve_sms_password
from hotline.dialplan.names import (
    ROUTE_APPEAL_SAID,
    ROUTE_DIALER,
    ROUTE_QUEUE_OVERFLOW,
    ROUTE_RATING,
)
from hotline.messaging.outbox import SmsOutbox
from hotline.messaging.webhooks import WebhookOutbox
from hotline.protocol.ami import AmiEvent
from hotline.sandbox.sandbox import menu_levels
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.store.accounts import AccountStore, ReadingStore
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.db import STORE_ERRORS, Database
from hotline.store.event_writer import EventWriter
from hotline.store.menu_drafts import MenuDraftStore
from hotline.store.notify import Listener, NotifyChannel
from hotline.store.operators import Operators
from hotline.store.outages import OutageStore
from hotline.store.queue_events import QueueEvents
from hotline.store.ratings import RatingStore
from hotline.store.recordings import Recordings
from hotline.store.rollup_jobs import rollup_jobs
from hotline.store.singleton import Singleton
from hotline.store.sms import SmsStore
from hotline.store.sms_notifier import SmsNotifier
from hotline.store.webhooks import WebhookStore
from hotline.store.workers import WorkerRegistry, hold_sqlite_engine_lock, worker_name
from hotline.transport.ami import AmiClient, AmiNotConnected
from hotline.transport.fastagi import AgiRoutes, FastAgiServer
from hotline.transport.kannel import DlrListener, KannelClient
from hotline.transport.metrics_http import MetricsListener
from hotline.transport.webhook_http import WebhookPoster
from ivr.appeal_said import AppealSaid
from ivr.menu.flow import MenuFlow
from ivr.menu.live import LiveMenu, ivr_routes
from ivr.menu.versions import MenuVersions
from ivr.queue_overflow import QueueOverflow
from ivr.rating import Rating
from ivr.self_service import SelfService
from ivr.voicemail import Voicemail

log = logging.getLogger(__name__)
# How long a reconciliation of the call log waits for the AMI log-in to finish.
LIVE_CHANNELS_WAIT = 10.0


async def _cancelled(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` and wait until it has ended (None: nothing to cancel)."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


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
        # Several workers on PostgreSQL (issue 20): this one's name, its node, the registry.
        self.worker = worker_name(settings.workers, socket.gethostname())
        self.workers = WorkerRegistry(self.db)
        self.heartbeat = Heartbeat(settings.workers.dead_after_seconds)
        self._worker_tasks: list[asyncio.Task[None]] = []
        self._sqlite_lock = contextlib.ExitStack()
        self._clock = clock
        # Navigation events (prompts, keys, nodes) are committed in batches off the call path.
        self.events = EventWriter.from_settings(self.db, settings)
        self.call_log = CallLog(self.db, self.events)
        self._events_task: asyncio.Task[None] | None = None
        self.prompts = PromptLibrary(settings)
        self.hours = HoursProvider(self.db, settings.hours)
        self.emergency = EmergencyProvider(EmergencyStore(self.db))
        self.outages = OutageProvider(OutageStore(self.db))
        self.ami = AmiClient(settings.ami, resolve_ami_secret(settings))
        self.routes = routes if routes is not None else AgiRoutes()
        self._custom_routes = routes is not None
        # Asterisk connects from the AMI host, any cluster node (and from loopback).
        peers = settings.cluster.fastagi_peers(settings.ami.host)
        self.server = FastAgiServer(settings.fastagi, self.routes, peers)
        self._tracker_task: asyncio.Task[None] | None = None
        self.recordings = Recordings(self.db)
        self.operators = Operators(self.db)
        self._queue_task: asyncio.Task[None] | None = None
        self._transfer_task: asyncio.Task[None] | None = None
        self._quality_task: asyncio.Task[None] | None = None
        self._callback_task: asyncio.Task[None] | None = None
        self._wrapup_task: asyncio.Task[None] | None = None
        self._restore_task: asyncio.Task[None] | None = None
        # Daily jobs (recordings purge) on APScheduler.
        self.webhook_store = WebhookStore(self.db)
        self.housekeeping = Housekeeping(settings, self.recordings, self.webhook_store)
        self.menus = MenuVersions(self.db)
        self.accounts = AccountStore(self.db)
        self.readings = ReadingStore(self.db)
        self.live_menu = LiveMenu(self.menus, settings, self.prompts, MenuDraftStore(self.db))
        self.flow: MenuFlow | None = None
        self._menu_task: asyncio.Task[None] | None = None
        # SMS: anything may queue one through ``self.sms``; the outbox sends
        # through Kannel and the DLR listener stores Kannel's delivery reports.
        self.sms_store = SmsStore(self.db)
        self.sms_outbox: SmsOutbox | None = None
        self._sms_listener: DlrListener | None = None
        if settings.sms.enabled:
            client = KannelClient(settings.sms, resolve_sms_password(settings))
            self.sms_outbox = SmsOutbox(settings.sms, self.sms_store, client)
            self._sms_listener = DlrListener(
                settings.sms.dlr_host, settings.sms.dlr_port, self.sms_outbox.receive_report
            )
        self.sms = SmsNotifier(
            self.sms_store,
            settings.sms,
            region=settings.dialer.default_region,
            on_queued=self.sms_outbox.wake if self.sms_outbox is not None else None,
        )
        # The appeal register (issue 16): voicemail, the console and the CLI register here;
        # notices go by the customer's reply channel (SMS only when the gateway is on).
        notices = appeal_notices(
            settings.appeals, settings.dialer, self.sms if settings.sms.enabled else None
        )
        self.appeals = Appeals(self.db, settings.appeals, settings.hours.timezone, notices)
        # The campaign dialer shares AMI and FastAGI; it subscribes before AMI logs in, so the
        # first FullyBooted reconciles attempts left in flight by an earlier run.  In a cluster
        # it dials through its node while it holds the node's lease, and drives the nodes it
        # takes over from dead owners (issue 20: dialer/ownership.py).
        self.keeper = node_keeper(settings, self.worker, self.db, self.workers, clock)
        home = None
        if self.keeper is not None:
            home = self.keeper.holder(settings.workers.node)
            self.keeper.home_ami = lambda: self.ami.connected
        self.dialer: Dialer | None = None
        self.takeover: NodeTakeover | None = None
        # One LISTEN connection per process (PostgreSQL): wakes the dialer and the webhooks.
        note = settings.notify
        self.notify = Listener.from_settings(self.db.url, note)
        if settings.dialer.enabled:
            new_dialer = dialer_factory(
                settings,
                self.db,
                self.prompts,
                self.call_log,
                clock=clock,
                hours=self.hours.current,
                sms=self.sms if self.sms_outbox is not None else None,
                notify=self.notify,
            )
            worker_as = partial(dialer_worker, settings, self.worker, self.db)
            self.dialer = new_dialer(self.ami, worker_as(lease=home, heartbeat=self.heartbeat))
            if self.sms_outbox is not None:
                self.sms_outbox.on_change(self.dialer.sms_changed)
            if self.keeper is not None:  # and watches the nodes it may take over
                self.takeover = node_takeover(
                    settings, lambda node: node_ami_client(settings, settings.cluster.node(node)),
                    new_dialer, lambda node, lease: worker_as(node, lease, self.heartbeat),
                    self.call_log, clock,
                )  # fmt: skip
                self.keeper.start_driver = self.takeover.start
        self._dialer_task: asyncio.Task[None] | None = None
        # Webhooks to billing and CRM (issue 22 item 4): events are written with their causes
        # by the store; one worker per database posts them (a singleton, as the SMS outbox).
        self.webhooks: WebhookOutbox | None = None
        self._webhook_poster: WebhookPoster | None = None
        if settings.webhooks.endpoints:
            self._webhook_poster = WebhookPoster()
            self.webhooks = WebhookOutbox(
                settings.webhooks,
                self.webhook_store,
                self._webhook_poster,
                resolve_webhook_secrets(settings),
                clock=clock,
                wake=self.notify.waker(NotifyChannel.WEBHOOKS),
                fallback_poll=note.webhook_poll_seconds,
            )
        # Prometheus (issue 20): the listener thread, the queue sampler and the loop probe.
        self.metrics = MetricsListener(settings.metrics.host, settings.metrics.port)
        self.singletons: dict[str, Singleton] = {}  # the jobs one worker runs, by name
        self._metrics_tasks: list[asyncio.Task[None]] = []

    def _singleton(self, name: str, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """``job`` in exactly one worker (issue 20); taken over when that worker dies."""
        single = Singleton(self.db, name, job, retry=self.settings.workers.singleton_retry_seconds)
        self.singletons[name] = single
        self._worker_tasks.append(asyncio.create_task(single.run(), name=f"singleton-{name}"))

    async def _keep_recordings_index(self) -> None:
        await keep_index(self.settings, self.recordings)

    async def _housekeeping(self) -> None:
        self.housekeeping.start()
        try:
            await asyncio.Event().wait()
        finally:
            self.housekeeping.stop()

    async def _caller_outage(self, phone: str | None) -> CallerOutage | None:
        """R-097, R-032: the open outage at the address of an account of this caller ID."""
        return await outage_for_phone(await self.outages.open_outages(), self.accounts, phone)

    async def _account_outage(self, number: str) -> CallerOutage | None:
        """R-097, R-032: the open outage at this account's address (a typed account)."""
        return await outage_for_account(await self.outages.open_outages(), self.accounts, number)

    async def start(self) -> None:
        # A second engine on one SQLite file is refused here (SecondWorkerOnSqlite).
        self._sqlite_lock.enter_context(hold_sqlite_engine_lock(self.db))
        await self.db.upgrade()
        host, pid, node = socket.gethostname(), os.getpid(), self.settings.workers.node
        presence = WorkerPresence(
            self.workers, self.worker, self.settings.workers, self.ami, self.dialer, self._clock,
            self.heartbeat,
        )  # fmt: skip
        await presence.register(host, pid, node)
        self._worker_tasks = [asyncio.create_task(presence.run(), name="worker-heartbeat")]
        self._worker_tasks.append(asyncio.create_task(self.notify.run(), name="notify"))
        if self.keeper is not None:  # this worker's node leases (issue 20)
            self._worker_tasks.append(asyncio.create_task(self.keeper.run(), name="node-leases"))
        if self.takeover is not None:
            self._worker_tasks.append(asyncio.create_task(self.takeover.watch(), name="watch"))
        self._events_task = asyncio.create_task(self.events.run(), name="call-events")
        menu = await self.live_menu.load()
        if not self._custom_routes:
            # The IVR routes get their repositories here, never from the call log's database.
            callbacks = CallbackStore(self.db)
            levels = menu_levels(self.settings, self.prompts, self.ami, self.call_log)
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
                voicemail=Voicemail(self.settings, self.accounts, self.appeals),
                drafts=self.live_menu.draft,
                levels=levels,
            )
            flow.use(menu, self.live_menu.version)
            for route, handler in ivr_routes(flow, levels, self._worker_tasks):
                self.routes.add(route, handler)
            overflow = QueueOverflow(
                self.settings,
                self.call_log,
                self.prompts,
                queue_events=QueueEvents(self.db),
                callbacks=callbacks,
                hours=self.hours.current,
            )
            self.routes.add(ROUTE_QUEUE_OVERFLOW, overflow)
            self.routes.add(
                ROUTE_APPEAL_SAID,
                AppealSaid(self.call_log, self.prompts, self.appeals, callbacks),
            )
            self.routes.add(
                ROUTE_RATING,
                Rating(
                    self.settings, self.call_log, self.prompts, RatingStore(self.db), callbacks
                ),
            )
            self.flow = flow
            self._menu_task = asyncio.create_task(self.live_menu.watch(flow), name="menu-reload")
        tracker = CallTracker.from_settings(
            self.ami.subscribe(TRACKED_EVENTS), self.call_log, self._live_channels, self.settings
        )
        self._tracker_task = asyncio.create_task(tracker.run(), name="call-tracker")
        if self.dialer is not None:
            if ROUTE_DIALER not in self.routes:
                self.routes.add(ROUTE_DIALER, self.dialer)
            self._dialer_task = asyncio.create_task(self._supervise_dialer(), name="dialer")
        queue_tracker = QueueTracker(
            self.ami.subscribe(TRACKED_QUEUE_EVENTS),
            QueueEvents.from_settings(self.db, self.settings),
            self.recordings,
            self.call_log,
        )
        self._queue_task = asyncio.create_task(queue_tracker.run(), name="queue-tracker")
        transfer_tracker = TransferTracker.from_settings(
            self.ami.subscribe(TRANSFER_EVENTS), self.db, self.settings
        )
        self._transfer_task = asyncio.create_task(transfer_tracker.run(), name="transfer-tracker")
        quality_tracker = QualityTracker.from_settings(
            self.ami.subscribe(QUALITY_EVENTS), self.db, self.settings
        )
        self._quality_task = asyncio.create_task(quality_tracker.run(), name="quality-tracker")
        # Callbacks dialled from the console: each attempt's result and recording.
        dialled = CallbackDialTracker(self.ami.subscribe(DIAL_EVENTS), self.db)
        self._callback_task = asyncio.create_task(dialled.run(), name="callback-dial")
        self._restore_task = asyncio.create_task(self._restore_operators(), name="operators")
        self._singleton("housekeeping", self._housekeeping)
        for name, job in rollup_jobs(self.db, self._clock, self.settings.rollups):  # issue 19
            self._singleton(name, job)
        if self.settings.resilience.recordings_index_seconds > 0:
            self._singleton("recordings-index", self._keep_recordings_index)
        if self.settings.callbacks.auto_assign:  # callbacks to operators as windows open
            self._singleton(
                "callback-assign",
                lambda: callbacks_domain.run_auto_assign(self.db, clock=self._clock),
            )
        # After-call work: each completed operator call starts it, a timer ends it.
        self._wrapup_task = asyncio.create_task(
            desk.run_wrapups(
                self.ami, self.db, self.settings, self.ami.subscribe(desk.WRAPUP_EVENTS)
            ),
            name="wrap-up",
        )
        if self.settings.metrics.enabled:
            self.metrics.start()
            self._metrics_tasks = start_sampling(self.settings, self.ami)
        if self.sms_outbox is not None and self._sms_listener is not None:
            await self._sms_listener.start()
            self._singleton("sms-outbox", self.sms_outbox.run)
        if self.webhooks is not None:
            self._singleton("webhooks", self.webhooks.run)
        if self.dialer is not None:
            # Monthly campaigns (issue 22 item 5): built on their day, once, by one worker.
            schedules = ScheduleRunner(self.db, self.settings, self._clock)
            self._singleton("campaign-schedules", schedules.run)
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
        """Operators back into the queue after every AMI (re)login: a restart empties it."""
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

    async def _live_channels(self) -> list[AmiEvent]:
        # FullyBooted (which asks for this) arrives while the client is still logging in.
        await self.ami.wait_connected(LIVE_CHANNELS_WAIT)
        return await self.ami.core_show_channels()

    async def stop(self) -> None:
        # Calls first (they may still write to the call log), then the tracker, AMI, store.
        await self.server.stop()
        # The dialer, the menu watcher, then the heartbeat and the singletons.
        for worker_task in (self._dialer_task, self._menu_task, *self._worker_tasks):
            await _cancelled(worker_task)
        if self._sms_listener is not None:
            await self._sms_listener.close()
        if self._events_task is not None:
            await self.events.flush()
        tasks = (
            self._tracker_task,
            self._queue_task,
            self._transfer_task,
            self._quality_task,
            self._callback_task,
            self._wrapup_task,
            self._restore_task,
            self._events_task,
        )
        for task in (*tasks, *self._metrics_tasks):
            await _cancelled(task)
        await self.ami.stop()
        if self._webhook_poster is not None:
            await self._webhook_poster.close()
        # shutdown() waits for the listener's poll (up to half a second): off the loop.
        await asyncio.to_thread(self.metrics.stop)
        with contextlib.suppress(*STORE_ERRORS):
            await self.workers.remove(self.worker)
        await self.db.dispose()
        self._sqlite_lock.close()
        log.info("engine stopped")

    async def run_until_signalled(self) -> None:
        stop, loop = asyncio.Event(), asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        freeze_heap()  # the start-up's heap out of every later collection (issue 19 item 6)
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
