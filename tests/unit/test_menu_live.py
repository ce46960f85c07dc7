"""LiveMenu: which menu version new calls get, at start and on reload (no Asterisk, no audio)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from hotline.settings import load_settings
from hotline.speech.library import PromptLibrary
from hotline.store.menus import MenuVersionRecord
from ivr.menu import live
from ivr.menu.flow import MenuFlow
from ivr.menu.live import LiveMenu
from ivr.menu.model import Menu
from ivr.menu.structure import MenuError, Rule, Violation
from ivr.menu.versions import MenuVersions
from tests.unit.test_menu_model import base, dump, parse

GOOD = dump(base())
BROKEN = GOOD.replace("name: test", "name: broken")


def record(version: int, content: str) -> MenuVersionRecord:
    return MenuVersionRecord(
        version=version,
        name="test",
        content=content,
        sha256="",
        author="test",
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
        summary=f"summary {version}",
        source=f"v{version}.yaml",
        rollback_of=None,
    )


class FakeVersions:
    def __init__(self) -> None:
        self.records: dict[int, MenuVersionRecord] = {}

    def publish(self, content: str) -> int:
        version = len(self.records) + 1
        self.records[version] = record(version, content)
        return version

    async def active(self) -> MenuVersionRecord | None:
        return self.records[max(self.records)] if self.records else None

    async def active_version(self) -> int | None:
        return max(self.records) if self.records else None

    async def get(self, version: int) -> MenuVersionRecord | None:
        return self.records.get(version)


class FakeFlow:
    def __init__(self) -> None:
        self.version: int | None = None
        self.used: list[int | None] = []

    def use(self, menu: Menu, version: int | None) -> None:
        self.version = version
        self.used.append(version)


@pytest.fixture(autouse=True)
def fake_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is the base menu; a version is its content, refused when it is BROKEN."""

    def load(
        settings: Any, prompts: Any, published: MenuVersionRecord | None = None, own: Any = None
    ) -> Menu:
        if published is None:
            return parse(base())
        if published.content == BROKEN:
            raise MenuError([Violation("main", Rule.RESERVED_KEY, "reserved")], "broken")
        return parse(base())

    monkeypatch.setattr(live, "load_ivr", load)


def subject(versions: FakeVersions) -> LiveMenu:
    return LiveMenu(
        cast(MenuVersions, versions), load_settings(environ={}), cast(PromptLibrary, None)
    )


async def test_start_on_the_active_version_else_the_file() -> None:
    versions = FakeVersions()
    menu = subject(versions)
    await menu.load()
    assert menu.version is None
    versions.publish(GOOD)
    await menu.load()
    assert menu.version == 1


async def test_a_broken_active_version_falls_back_to_the_file_at_start() -> None:
    versions = FakeVersions()
    versions.publish(BROKEN)
    menu = subject(versions)
    await menu.load()
    assert menu.version is None


async def test_reload_swaps_good_versions_and_ignores_broken_ones_once() -> None:
    versions = FakeVersions()
    menu = subject(versions)
    await menu.load()
    flow = FakeFlow()
    assert await menu.reload(cast(MenuFlow, flow)) is None  # nothing published
    good = versions.publish(GOOD)
    assert await menu.reload(cast(MenuFlow, flow)) == good
    assert await menu.reload(cast(MenuFlow, flow)) == good  # unchanged: no second swap
    versions.publish(BROKEN)
    assert await menu.reload(cast(MenuFlow, flow)) == good  # the flow keeps its version
    assert await menu.reload(cast(MenuFlow, flow)) == menu.version  # not tried again
    assert flow.used == [good]
    assert await menu.reload(None) == menu.version  # no flow wired: nothing to swap
