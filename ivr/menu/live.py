"""The menu new calls get: the active published version, else the menu file, checked against
the service standard and the built prompts before any call hears it.

A version that breaks the rules (at start, or when published while the engine runs) is logged
and ignored: calls keep the menu they had.  Calls in progress always finish on the menu they
started with (:meth:`MenuFlow.use` only reaches new calls).
"""

from __future__ import annotations

import asyncio
import logging

from hotline.dialplan.names import ROUTE_IVR, ROUTE_IVR_NODE
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.store.menu_drafts import MenuDraftStore
from hotline.store.menus import MenuVersionRecord, content_sha256
from hotline.transport.fastagi import AgiHandler
from ivr.menu.flow import MenuFlow
from ivr.menu.handover import Levels
from ivr.menu.loader import load_menu, parse_menu
from ivr.menu.model import Menu
from ivr.menu.own_prompts import OwnSeconds, render
from ivr.menu.standard import check_menu, validate_text
from ivr.menu.structure import MenuError
from ivr.menu.versions import MenuVersions
from ivr.prompts import FLOW_PROMPTS

log = logging.getLogger(__name__)

DRAFT_SOURCE = "console draft"


def load_ivr(
    settings: Settings,
    prompts: PromptLibrary,
    published: MenuVersionRecord | None = None,
    own: OwnSeconds | None = None,
) -> Menu:
    """The menu (the ``published`` version, else the menu file), validated, and every prompt
    the flow names checked against the catalogue and the build (blocking: run it in a
    thread).  Also loads the build's manifest, so calls never read it from disk.  ``own``:
    the menu's own prompts as rendered (:func:`own_seconds`)."""
    for prompt_id in FLOW_PROMPTS:
        prompts.catalogue.require(prompt_id, used_by="the inbound flow (ivr/prompts.py)")
        prompts.sound(prompt_id)
    menu = _parse(settings, published)
    check_menu(menu, settings, prompts, own=own)
    for prompt_id in menu.catalogue_prompt_ids():
        prompts.sound(prompt_id)
    return menu


def _parse(settings: Settings, published: MenuVersionRecord | None) -> Menu:
    if published is None:
        return load_menu(settings.ivr.menu_file)
    source = f"menu version {published.version} ({published.source})"
    return parse_menu(published.content, source)


async def own_seconds(
    settings: Settings, prompts: PromptLibrary, published: MenuVersionRecord | None
) -> OwnSeconds:
    """The menu's own prompts rendered in the configured voice (before :func:`load_ivr`, so
    calls find them built); nothing when it does not parse (load_ivr reports that)."""
    try:
        menu = await asyncio.to_thread(_parse, settings, published)
    except MenuError:
        return {}
    return await render(menu, prompts, [settings.speech.voice])


async def load_checked(
    settings: Settings, prompts: PromptLibrary, published: MenuVersionRecord | None = None
) -> Menu:
    """:func:`load_ivr` with the menu's own prompts rendered first."""
    own = await own_seconds(settings, prompts, published)
    return await asyncio.to_thread(load_ivr, settings, prompts, published, own)


class LiveMenu:
    """Decides which menu version new calls get; the engine owns the watcher task."""

    def __init__(
        self,
        versions: MenuVersions,
        settings: Settings,
        prompts: PromptLibrary,
        drafts: MenuDraftStore | None = None,
    ) -> None:
        self._versions = versions
        self._drafts = drafts
        self._draft: tuple[str, Menu] | None = None  # the last draft checked, by its sha256
        self._settings = settings
        self._prompts = prompts
        # The version last decided on (None: the menu file); a rejected version counts, so it
        # is not tried again until the next publish.
        self.version: int | None = None
        self._lock = asyncio.Lock()

    async def load(self) -> Menu:
        """The menu to start with: the active version, else (none, or it no longer keeps the
        rules) the menu file.  MenuError when the menu file breaks them too."""
        published = await self._versions.active()
        try:
            menu = await load_checked(self._settings, self._prompts, published)
        except MenuError as exc:
            if published is None:
                raise
            # The published version no longer keeps the rules here (settings or prompts
            # changed): the menu file serves until a good version is published.
            log.error("menu version %s not used: %s", published.version, exc)
            menu = await load_checked(self._settings, self._prompts)
            published = None
        self.version = published.version if published is not None else None
        return menu

    async def reload(self, flow: MenuFlow | None) -> int | None:
        """Check for a newly published menu version now and hand it to ``flow`` for new calls.
        A version that breaks the rules is logged and ignored.  Returns the version new calls
        get (None: the menu file)."""
        async with self._lock:
            active = await self._versions.active_version()
            if flow is None or active is None or active == self.version:
                return self.version
            published = await self._versions.get(active)
            if published is None:
                return self.version
            try:
                menu = await load_checked(self._settings, self._prompts, published)
            except (MenuError, ValueError, OSError) as exc:
                log.error(
                    "menu version %s ignored, version %s stays: %s",
                    active,
                    self.version or "file",
                    exc,
                )
                self.version = active  # not tried again until the next publish
                return flow.version
            flow.use(menu, active)
            self.version = active
            log.info("menu version %s for new calls (%s)", active, published.summary)
            return active

    async def draft(self, sha: str) -> Menu | None:
        """The menu editor's draft when its content's sha256 is ``sha`` and it keeps every
        rule (for a simulated call trying it); None otherwise."""
        if self._drafts is None:
            return None
        if self._draft is not None and self._draft[0] == sha:
            return self._draft[1]
        stored = await self._drafts.get()
        if stored is None or content_sha256(stored.content) != sha:
            return None
        try:
            menu = await validate_text(stored.content, DRAFT_SOURCE, self._settings, self._prompts)
        except (MenuError, ValueError, OSError) as exc:
            log.warning("menu draft %s not tried: %s", sha[:12], exc)
            return None
        self._draft = (sha, menu)
        return menu

    async def watch(self, flow: MenuFlow) -> None:
        """Reload every ``ivr.menu_reload_seconds``, until cancelled."""
        interval = self._settings.ivr.menu_reload_seconds
        while True:
            await asyncio.sleep(interval)
            try:
                await self.reload(flow)
            except Exception:  # a store outage must not end the watcher
                log.exception("menu reload check failed; retrying")


def ivr_routes(
    flow: MenuFlow, levels: Levels | None, tasks: list[asyncio.Task[None]]
) -> list[tuple[str, AgiHandler]]:
    """The inbound IVR's FastAGI routes; with the menu's levels in dialplan also the route
    they enter the engine by, and their task (the call log's events, the installs) in
    ``tasks``, which the engine owns."""
    if levels is None:
        return [(ROUTE_IVR, flow)]
    tasks.append(asyncio.create_task(levels.run(), name="menu-levels"))
    return [(ROUTE_IVR, flow), (ROUTE_IVR_NODE, flow.resume)]
