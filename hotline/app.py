"""Composition root: the one place where the engine's parts are built and wired together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from hotline.calltrack import TRACKED_EVENTS, CallTracker
from hotline.constants import ROUTE_IVR
from hotline.emergency import EmergencyProvider, EmergencyStore
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.store.calendar import HoursProvider
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.transport.ami import AmiClient, AmiError
from hotline.transport.fastagi import AgiRoutes, FastAgiServer
from ivr.menu_flow import MenuFlow
from ivr.menu_model import Menu, load_and_validate
from ivr.prompts import FLOW_PROMPTS

log = logging.getLogger(__name__)


class AmiSecretMissing(AmiError):
    pass


def resolve_ami_secret(settings: Settings) -> str:
    """The AMI secret: from settings/environment, else the sandbox's generated one."""
    if settings.ami.secret is not None:
        return settings.ami.secret.get_secret_value()
    if settings.sandbox.enabled:
        from hotline.sandbox import ami_secret

        secret = ami_secret(settings)
        if secret:
            return secret
    raise AmiSecretMissing(
        "no AMI secret: set HOTLINE_AMI__SECRET (or ami.secret in the settings file), "
        "or start the sandbox with `hotline sandbox up`"
    )


def load_ivr(settings: Settings, prompts: PromptLibrary) -> Menu:
    """The menu, validated, and every prompt the flow names checked against the catalogue
    and the build (blocking: run it in a thread).  Also loads the build's manifest, so calls
    never read it from disk."""
    for prompt_id in FLOW_PROMPTS:
        prompts.catalogue.require(prompt_id, used_by="the inbound flow (ivr/prompts.py)")
        prompts.sound(prompt_id)
    menu = load_and_validate(settings.ivr.menu_file, settings, prompts)
    for prompt_id in menu.prompt_ids():
        prompts.sound(prompt_id)
    return menu


class Engine:
    """FastAGI server, AMI connection, call tracker and store, started and stopped together."""

    def __init__(self, settings: Settings, routes: AgiRoutes | None = None) -> None:
        self.settings = settings
        self.db = Database.from_settings(settings)
        self.call_log = CallLog(self.db)
        self.prompts = PromptLibrary(settings)
        self.hours = HoursProvider(self.db, settings.hours)
        self.emergency = EmergencyProvider(EmergencyStore(self.db))
        self.ami = AmiClient(settings.ami, resolve_ami_secret(settings))
        self.routes = routes if routes is not None else AgiRoutes()
        self._custom_routes = routes is not None
        self.server = FastAgiServer(settings.fastagi, self.routes)
        self._tracker_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        menu = await asyncio.to_thread(load_ivr, self.settings, self.prompts)
        if not self._custom_routes:
            flow = MenuFlow(
                menu,
                self.settings,
                self.call_log,
                self.prompts,
                self.hours.current,
                self.emergency.current,
            )
            self.routes.add(ROUTE_IVR, flow)
        await self.db.upgrade()
        tracker = CallTracker(
            self.ami.subscribe(TRACKED_EVENTS), self.call_log, self._live_channels
        )
        self._tracker_task = asyncio.create_task(tracker.run(), name="call-tracker")
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

    async def _live_channels(self) -> set[str]:
        return {channel.uniqueid for channel in await self.ami.core_show_channels()}

    async def stop(self) -> None:
        # Calls first (they may still write to the call log), then the tracker, AMI, store.
        await self.server.stop()
        if self._tracker_task is not None:
            self._tracker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tracker_task
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
