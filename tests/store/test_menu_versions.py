"""MenuVersions on SQLite and PostgreSQL: publish, refuse the unchanged, history, rollback."""

from __future__ import annotations

import pytest

from hotline.store.db import Database
from hotline.store.menus import content_sha256
from ivr.menu.structure import MenuError
from ivr.menu.versions import MenuUnchanged, MenuVersions, UnknownVersion
from tests.unit.test_menu_model import base, dump


@pytest.fixture
async def versions(db: Database) -> MenuVersions:
    await db.upgrade()
    return MenuVersions(db)


def changed() -> str:
    data = base()
    data["nodes"]["main"]["options"] = {"1": "readings", "2": "bye", "3": "info"}
    return dump(data)


async def test_publish_history_and_active(versions: MenuVersions) -> None:
    assert await versions.active() is None
    assert await versions.history() == []
    first = await versions.publish(dump(base()), "menus/a.yaml", "anna")
    assert (first.version, first.name, first.author) == (1, "test", "anna")
    assert first.sha256 == content_sha256(dump(base()))
    assert first.summary == "first version: 6 nodes"
    assert first.published_at.tzinfo is not None
    second = await versions.publish(changed(), "menus/b.yaml", "boris")
    assert second.version == 2
    assert second.summary == "main: option 2 info -> bye; main: option 3 bye -> info"
    active = await versions.active()
    assert active is not None and active.version == 2 and active.content == changed()
    assert await versions.active_version() == 2
    assert [r.version for r in await versions.history()] == [2, 1]
    assert [r.version for r in await versions.history(limit=1)] == [2]
    got = await versions.get(1)
    assert got is not None and got.content == dump(base()) and got.source == "menus/a.yaml"
    assert await versions.get(9) is None


async def test_identical_content_is_refused(versions: MenuVersions) -> None:
    await versions.publish(dump(base()), "a.yaml", "anna")
    with pytest.raises(MenuUnchanged, match="version 1"):
        await versions.publish(dump(base()), "a.yaml", "anna")
    assert len(await versions.history()) == 1


async def test_unparsable_menu_is_refused(versions: MenuVersions) -> None:
    with pytest.raises(MenuError):
        await versions.publish("version: 1\nnodes: [", "bad.yaml", "anna")
    assert await versions.active() is None


async def test_rollback_publishes_the_old_content_again(versions: MenuVersions) -> None:
    await versions.publish(dump(base()), "a.yaml", "anna")
    await versions.publish(changed(), "b.yaml", "boris")
    back = await versions.rollback(1, "vera")
    assert (back.version, back.rollback_of, back.author) == (3, 1, "vera")
    assert back.content == dump(base())
    assert back.summary.startswith("rollback to version 1: main: option 2 bye -> info")
    active = await versions.active()
    assert active is not None and active.version == 3
    with pytest.raises(MenuUnchanged):
        await versions.rollback(1, "vera")  # already the active content
    with pytest.raises(UnknownVersion):
        await versions.rollback(42, "vera")
