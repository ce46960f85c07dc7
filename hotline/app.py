"""Composition root: the one place where the engine's parts are built and wired together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from hotline.calltrack import TRACKED_EVENTS, CallTracker
from hotline.constants import ROUTE_IVR
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.transport.ami import AmiClient, AmiError
from hotline.transport.fastagi import AgiRoutes, FastAgiServer
from ivr.entry import HotlineIvr
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


def build_routes(settings: Settings, call_log: CallLog, prompts: PromptLibrary) -> AgiRoutes:
    routes = AgiRoutes()
    routes.add(ROUTE_IVR, HotlineIvr(settings.ivr, call_log, prompts))
    return routes


def check_prompts(prompts: PromptLibrary) -> None:
    """Every prompt the flows name exists in the catalogue and is built (blocking: run it in
    a thread).  Also loads the build's manifest, so calls never read it from disk."""
    for prompt_id in FLOW_PROMPTS:
        prompts.catalogue.require(prompt_id, used_by="the inbound flow (ivr/entry.py)")
        prompts.sound(prompt_id)


class Engine:
    """FastAGI server, AMI connection, call tracker and store, started and stopped together."""

    def __init__(self, settings: Settings, routes: AgiRoutes | None = None) -> None:
        self.settings = settings
        self.db = Database.from_settings(settings)
        self.call_log = CallLog(self.db)
        self.prompts = PromptLibrary(settings)
        self.ami = AmiClient(settings.ami, resolve_ami_secret(settings))
        self.server = FastAgiServer(
            settings.fastagi, routes or build_routes(settings, self.call_log, self.prompts)
        )
        self._tracker_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await asyncio.to_thread(check_prompts, self.prompts)
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
